#!/usr/bin/env node
// Benchmark of actions/deploy's orchestration: 12 deploy-rs nodes whose (fake) deploy takes 2 s each,
// `parallel: 4`, rolled out with `strategy: canary` and with `one-by-one` (deploy-rs's own sequential
// behaviour). It runs the BUILT bundle dist/deploy/index.js as the runner does, with the fake `deploy`
// of test/deploy/fakes on PATH, and compares the rollout's wall time with the ideal
// (1 + ceil(11/4)) × 2 s. One more canary rollout has the canary's activation fail, as the recorded
// real deploy-rs does (it exits after ~1.5 s but leaves `activate-rs wait` holding its output for the
// 240 s activation timeout): the halt must come within seconds. The table goes to docs/BENCHMARKS.md
// between <!-- bench:deploy --> markers.
//
// The switch engine's part (measureSwitch, its own <!-- bench:deploy-switch --> markers): 12 NixOS
// hosts of `builtins.derivation`s whose switch-to-configuration takes 1 s, deployed over a real sshd on
// 127.0.0.1 with `parallel: 4` and strategy canary, compared with the ideal (1 + ceil(11/4)) × 1 s, then
// a rerun where every node already runs its target.
//
// The switch engine at real size (bench/deploy-real-size.mjs) runs only with `--only real-size`, against
// this checkout's bundle and, with `--before`, another build's (e.g. a worktree of main).
//
//   npm run build && node bench/deploy.mjs [--runs N] [--only deploy-rs|switch]
//   node bench/deploy.mjs --only real-size [--runs N] [--before OTHER/dist/deploy/index.js --before-runs N]
//     [--sizes 512+32,16+2 --uplink 100mbit,1gbit]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { flakeflowNixConfig } from '../scripts/nix-settings.mjs';
import { mainRealSize } from './deploy-real-size.mjs';
import { mainSwitch } from './deploy-switch.mjs';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'deploy', 'index.js');
const fakes = join(root, 'test', 'deploy', 'fakes');
const NODES = 12;
const LATENCY_MS = 2_000;
const PARALLEL = 4;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 3 : Number(process.argv[runsArg + 1]);

const NIX_CONFIG = flakeflowNixConfig();

/** A fleet flake with only deploy.nodes; the first node is the canary. */
async function writeFleet(dir) {
  await mkdir(dir, { recursive: true });
  const nodes = Array.from({ length: NODES }, (_, index) => {
    const name = `srv-${String(index + 1).padStart(3, '0')}`;
    const tags = index === 0 ? '[ "canary" "servers" ]' : '[ "servers" ]';
    return `    ${name} = { hostname = "${name}.fleet.internal"; sshUser = "deploy"; tags = ${tags}; wave = ${index === 0 ? 1 : 2}; profiles.system = { user = "root"; path = "/nix/store/${'0'.repeat(32)}-system"; }; };`;
  });
  await writeFile(
    join(dir, 'flake.nix'),
    `{\n  outputs = { self }: {\n  deploy.nodes = {\n${nodes.join('\n')}\n  };\n  };\n}\n`,
  );
}

/** Runs the bundle like a `node24` step: INPUT_* variables and the file-command files. */
async function runStep(workspace, inputs, extraEnv, { mayFail = false, bundlePath = bundle } = {}) {
  const temp = await mkdtemp(join(tmpdir(), 'flakeflow-bench-deploy-step-'));
  const files = {
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_STATE: join(temp, 'state'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  const env = {
    ...process.env,
    NIX_CONFIG,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    RUNNER_TEMP: temp,
    ...files,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const started = performance.now();
  const exitCode = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundlePath], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  const stepMs = performance.now() - started;
  const outputs = await readFile(files.GITHUB_OUTPUT, 'utf8');
  const reportPath = /^report<<(\S+)\n(.*)\n\1$/m.exec(outputs)?.[2];
  if ((exitCode !== 0 && !mayFail) || !reportPath)
    throw new Error(`the deploy step failed (exit ${exitCode})`);
  const report = JSON.parse(await readFile(reportPath, 'utf8'));
  await rm(temp, { recursive: true, force: true });
  return { stepMs, report, exitCode };
}

/** A canary rollout whose canary's activation script fails: how soon the rollout halts. */
async function measureFailedActivation(dir) {
  const workspace = join(dir, 'fleet');
  await writeFleet(workspace);
  const log = join(dir, 'invocations-failed.jsonl');
  const script = join(dir, 'script-failed.json');
  await writeFile(
    script,
    JSON.stringify({ latencyMs: LATENCY_MS, log, nodes: { 'srv-001': { mode: 'rollback' } } }),
  );
  await writeFile(log, '');
  const { stepMs, report, exitCode } = await runStep(
    workspace,
    {
      strategy: 'canary',
      parallel: String(PARALLEL),
      'strict-host-key-checking': 'false',
      'skip-checks': 'true',
    },
    { PATH: `${await fakeDeployBin(script)}${delimiter}${process.env.PATH}` },
    { mayFail: true },
  );
  const canary = report.nodes.find((node) => node.node === 'srv-001');
  const started = report.nodes.filter((node) => node.status !== 'skipped').length;
  process.stderr.write(`failed activation: halted after ${(report.durationMs / 1000).toFixed(2)} s\n`);
  return { stepMs, rolloutMs: report.durationMs, exitCode, canary, started };
}

/**
 * A `deploy` that runs the fake with `script`: the action passes its children only an allow-list of
 * the environment, so the script's path is written into the wrapper rather than passed as FAKE_*.
 */
async function fakeDeployBin(script) {
  const bin = `${script}.bin`;
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'deploy'),
    `#!/bin/sh\nFAKE_DEPLOY_SCRIPT='${script}' exec '${process.execPath}' '${join(fakes, 'fake-deploy.mjs')}' "$@"\n`,
    { mode: 0o755 },
  );
  return bin;
}

/** How long each fake deploy-rs ran, from its first line of code to its exit. */
async function invocationTimes(log) {
  const starts = new Map();
  const runs = [];
  for (const line of (await readFile(log, 'utf8')).split('\n').filter(Boolean)) {
    const event = JSON.parse(line);
    if (event.event === 'start') starts.set(event.pid, event.at);
    else runs.push(event.at - starts.get(event.pid));
  }
  return runs;
}

async function measure(strategy, dir) {
  const workspace = join(dir, 'fleet');
  await writeFleet(workspace);
  const samples = [];
  for (let run = 0; run < RUNS; run += 1) {
    const log = join(dir, `invocations-${strategy}-${run}.jsonl`);
    const script = join(dir, `script-${strategy}-${run}.json`);
    await writeFile(script, JSON.stringify({ latencyMs: LATENCY_MS, log }));
    await writeFile(log, '');
    const { stepMs, report } = await runStep(
      workspace,
      { strategy, parallel: String(PARALLEL), 'strict-host-key-checking': 'false', 'skip-checks': 'true' },
      { PATH: `${await fakeDeployBin(script)}${delimiter}${process.env.PATH}` },
    );
    const mean = (values) => values.reduce((sum, ms) => sum + ms, 0) / values.length;
    const nodeMs = mean(report.nodes.map((node) => node.durationMs));
    const fakeMs = mean(await invocationTimes(log));
    samples.push({
      stepMs,
      rolloutMs: report.durationMs,
      waves: report.waves.length,
      // What a node costs beyond the fake's own run: its process starting and exiting.
      processMs: nodeMs - fakeMs,
    });
    process.stderr.write(`${strategy} run ${run + 1}: rollout ${(report.durationMs / 1000).toFixed(2)} s\n`);
  }
  const median = (pick) => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  return {
    strategy,
    waves: samples[0].waves,
    rolloutMs: median((sample) => sample.rolloutMs),
    stepMs: median((sample) => sample.stepMs),
    processMs: median((sample) => sample.processMs),
  };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const percent = (ratio) => `${(ratio * 100).toFixed(1)} %`;

async function main() {
  if (!existsSync(bundle)) throw new Error('dist/deploy/index.js is missing: run `npm run build` first');
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-bench-deploy-'));
  try {
    const canary = await measure('canary', dir);
    const sequential = await measure('one-by-one', dir);
    const failed = await measureFailedActivation(dir);
    const ideal = {
      canary: (1 + Math.ceil((NODES - 1) / PARALLEL)) * LATENCY_MS,
      'one-by-one': NODES * LATENCY_MS,
    };
    // Nodes one after another on the critical path: the canary, then ceil(11/4) rounds of 4.
    const rounds = { canary: 1 + Math.ceil((NODES - 1) / PARALLEL), 'one-by-one': NODES };
    const breakdown = (result) => {
      const overhead = result.rolloutMs - ideal[result.strategy];
      const processes = rounds[result.strategy] * result.processMs;
      return { overhead, processes, orchestration: overhead - processes };
    };
    const rows = [canary, sequential].map((result) => {
      const { overhead, processes, orchestration } = breakdown(result);
      const share = (ms) => `${seconds(ms)} (${percent(ms / ideal[result.strategy])})`;
      return `| ${result.strategy} | ${result.waves} | ${seconds(ideal[result.strategy])} | ${seconds(result.rolloutMs)} | ${share(overhead)} | ${share(processes)} | ${share(orchestration)} | ${seconds(result.stepMs)} |`;
    });
    const canaryBreakdown = breakdown(canary);
    const section = [
      '<!-- bench:deploy -->',
      '## deploy: rollout orchestration',
      '',
      `\`node bench/deploy.mjs\` on ${cpus().length} CPU(s) (load average ${loadavg()[0].toFixed(1)} at the end), ` +
        `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}: ` +
        `${NODES} nodes, fake deploy-rs taking ${LATENCY_MS / 1000} s per node, \`parallel: ${PARALLEL}\`, median of ${RUNS} runs ` +
        'of the built bundle. Rollout = first deploy-rs started to last one judged (from the report); step = the whole ' +
        'action process, with Node start-up and the `deploy.nodes` evaluation.',
      '',
      '| strategy | waves | ideal | rollout | overhead vs ideal | of it: deploy-rs processes starting and exiting | of it: orchestration | whole step |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `canary / one-by-one (deploy-rs's own order): **${(canary.rolloutMs / sequential.rolloutMs).toFixed(2)}×** the wall time ` +
        `(${(sequential.rolloutMs / canary.rolloutMs).toFixed(1)}× faster).`,
      '',
      `Goal: canary overhead under 5 % of the ideal (1 + ⌈11/4⌉) × 2 s = ${seconds(ideal.canary)}. Measured as a whole: ` +
        `**${canaryBreakdown.overhead < 0.05 * ideal.canary ? 'met' : 'missed'}** (${percent(canaryBreakdown.overhead / ideal.canary)}). ` +
        `Most of it is the fake deploy-rs itself, a shell script starting Node (${Math.round(canary.processMs)} ms per node, ` +
        `measured as a node's duration less the fake's own run, × ${rounds.canary} nodes on the critical path); the real deploy-rs ` +
        `is a Rust binary. The orchestration alone (spawning, reading the log, scheduling, the report): ` +
        `**${canaryBreakdown.orchestration < 0.05 * ideal.canary ? 'met' : 'missed'}** (${percent(canaryBreakdown.orchestration / ideal.canary)}).`,
      '',
      `A canary rollout whose canary's activation script fails (the fake prints the recorded real run: deploy-rs exits ` +
        `after its activation lines, leaving \`activate-rs wait\` holding its output for the 240 s activation timeout):`,
      '',
      '| rollout | canary verdict | nodes started | halted after | whole step | step exit |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
      `| canary, canary's activation fails | ${failed.canary?.status}: ${failed.canary?.message} | ${failed.started} of ${NODES} | ` +
        `${seconds(failed.rolloutMs)} | ${seconds(failed.stepMs)} | ${failed.exitCode} |`,
      '',
      `Goal: the halt within seconds, not after the activation timeout (240 s): **${failed.rolloutMs < 30_000 ? 'met' : 'missed'}**.`,
      '<!-- /bench:deploy -->',
    ].join('\n');
    await writeSection(section);
    process.stdout.write(`${section}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Replaces this benchmark's section of docs/BENCHMARKS.md, leaving the others as they are. */
async function writeSection(section, marker = 'bench:deploy') {
  const file = join(root, 'docs', 'BENCHMARKS.md');
  await mkdir(join(root, 'docs'), { recursive: true });
  const current = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`<!-- ${marker} -->[\\s\\S]*?<!-- /${marker} -->`);
  const next = pattern.test(current)
    ? current.replace(pattern, () => section)
    : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg === -1 ? undefined : process.argv[onlyArg + 1];
const beforeArg = process.argv.indexOf('--before');
const beforeRunsArg = process.argv.indexOf('--before-runs');
const BEFORE_RUNS = beforeRunsArg === -1 ? 1 : Number(process.argv[beforeRunsArg + 1]);
if (ONLY === 'real-size') {
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-bench-deploy-real-size-'));
  try {
    const before = beforeArg === -1 ? undefined : process.argv[beforeArg + 1];
    await mainRealSize({
      runStep,
      fakeDeployBin,
      writeSection,
      dir,
      after: bundle,
      before,
      runs: RUNS,
      beforeRuns: BEFORE_RUNS,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
if (ONLY === undefined || ONLY === 'deploy-rs') await main();
if (ONLY === undefined || ONLY === 'switch') {
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-bench-deploy-switch-'));
  try {
    await mainSwitch({ runStep, writeSection, runs: RUNS, dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

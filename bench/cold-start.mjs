#!/usr/bin/env node
// Cold start of every bundle in dist/ (issue #9): each is started as the runner starts it, with one
// missing or invalid input, so it loads, parses its inputs and fails in one line without doing any
// work; the post steps start with nothing to clean up. Runs are interleaved with a bare `node -e ''`
// in the same loop, so machine load weighs on both alike. Reports the median of each, the overhead on
// top of bare Node against the 150 ms goal, and the bundle sizes. Run `npm run build` first.
// Writes its table between the bench:cold-start markers of docs/BENCHMARKS.md.
// Run: node bench/cold-start.mjs   (BENCH_COLD_START_RUNS=N to change the 21 runs per bundle)
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_COLD_START_RUNS ?? 21);
const GOAL_MS = 150;

/**
 * Each bundle and how it is started: the inputs (as the runner's INPUT_* variables) or CLI words,
 * and the start of the one line it must answer with, proving it refused the input and did nothing.
 */
const BUNDLES = [
  {
    bundle: 'lock-update/index.js',
    inputs: { 'merge-method': 'fast-forward' },
    expect: "::error::Input 'merge-method'",
  },
  { bundle: 'gate/index.js', inputs: { formatter: 'prettier' }, expect: "::error::Input 'formatter'" },
  { bundle: 'hosts/index.js', inputs: { 'max-jobs': 'lots' }, expect: "::error::Input 'max-jobs'" },
  { bundle: 'build/index.js', inputs: { path: '../outside' }, expect: "::error::Input 'path'" },
  { bundle: 'report/index.js', inputs: { comment: 'maybe' }, expect: "::error::Input 'comment'" },
  { bundle: 'deploy/index.js', inputs: { strategy: 'blue-green' }, expect: "::error::Input 'strategy'" },
  { bundle: 'backup-verify/index.js', inputs: {}, expect: "::error::Input 'repositories'" },
  { bundle: 'umbrella/index.js', inputs: {}, expect: "::error::Input 'command'" },
  { bundle: 'deploy/post.js', inputs: {}, expect: '', exitCode: 0 },
  { bundle: 'umbrella/post.js', inputs: {}, expect: '', exitCode: 0 },
  { bundle: 'cli/index.js', argv: ['backup-verify'], expect: "error: Input 'repositories'" },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (value) => `${value.toFixed(0)} ms`;

/** The runner's environment for a step: nothing of this shell's, but PATH and a workspace. */
function stepEnvironment(work, inputs) {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? work,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: join(work, 'workspace'),
    RUNNER_TEMP: join(work, 'temp'),
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

function timed(args, env, cwd) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, cwd, encoding: 'utf8' });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

async function measureColdStart() {
  const work = await mkdtemp(join(tmpdir(), 'flakeflow-bench-cold-start-'));
  try {
    await mkdir(join(work, 'workspace'), { recursive: true });
    await mkdir(join(work, 'temp'), { recursive: true });
    const targets = BUNDLES.map((entry) => {
      const file = join(root, 'dist', entry.bundle);
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
      return {
        ...entry,
        file,
        size: statSync(file).size,
        args: [file, ...(entry.argv ?? [])],
        env: stepEnvironment(work, entry.inputs ?? {}),
        times: [],
      };
    });
    const bare = { times: [] };
    const bareEnv = stepEnvironment(work, {});
    for (let round = 0; round < RUNS; round += 1) {
      bare.times.push(timed(['-e', ''], bareEnv, work).ms);
      for (const target of targets) {
        const { ms: elapsed, result } = timed(target.args, target.env, join(work, 'workspace'));
        const output = `${result.stdout}${result.stderr}`;
        const exitCode = target.exitCode ?? 1;
        if (result.status !== exitCode || !output.includes(target.expect)) {
          throw new Error(
            `${target.bundle} did not answer as expected (exit ${result.status}, wanted ${exitCode} and '${target.expect}'):\n${output}`,
          );
        }
        target.times.push(elapsed);
      }
    }
    const bareMedian = median(bare.times);
    return {
      runs: RUNS,
      bareMedian,
      rows: targets.map((target) => ({
        bundle: target.bundle,
        size: target.size,
        median: median(target.times),
        overhead: median(target.times) - bareMedian,
        fastest: Math.min(...target.times),
      })),
      load: loadavg()[0],
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function coldStartSection(measured) {
  const missed = measured.rows.filter((row) => row.overhead > GOAL_MS);
  const worst = measured.rows.reduce((a, b) => (b.overhead > a.overhead ? b : a));
  return [
    '<!-- bench:cold-start -->',
    '## Cold start of every bundle',
    '',
    `\`node bench/cold-start.mjs\`: each bundle of dist/ started as the runner starts it, with one missing or invalid input ` +
      '(the post steps with nothing to clean up, the CLI as `flakeflow backup-verify`), so it loads, parses its inputs and ' +
      `fails in one line. ${measured.runs} runs each, interleaved with a bare \`node -e ''\` in the same loop; ` +
      `load average ${measured.load.toFixed(1)} at the end.`,
    '',
    "| bundle | size | median | fastest | bare `node -e ''` | on top of bare Node | goal ≤ 150 ms |",
    '| --- | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...measured.rows.map(
      (row) =>
        `| \`dist/${row.bundle}\` | ${kib(row.size)} | ${ms(row.median)} | ${ms(row.fastest)} | ${ms(measured.bareMedian)} | ` +
        `${ms(row.overhead)} | ${row.overhead <= GOAL_MS ? '✅' : '❌'} |`,
    ),
    '',
    missed.length === 0
      ? `Every bundle meets the goal; the slowest on top of bare Node is \`${worst.bundle}\` (${ms(worst.overhead)}).`
      : `${missed.length} bundle(s) miss the goal: ${missed.map((row) => `\`${row.bundle}\` (${ms(row.overhead)})`).join(', ')}.`,
    '',
    'Where the time goes (CPU profiles of the bundles): about half is V8 compiling the one-file bundle, so it grows ' +
      'with its size; the rest is evaluating modules, the largest being undici, which `@actions/core` loads for its ' +
      'OIDC client whether or not a token is asked for. Octokit and its plugins are evaluated only once an action ' +
      'needs a GitHub client (`src/core/github-loader.ts`), so a refused input never pays for them.',
    '<!-- /bench:cold-start -->',
  ].join('\n');
}

/** Replaces the section between `<!-- bench:NAME -->` markers of docs/BENCHMARKS.md, or appends it. */
async function writeSection(name, section) {
  const file = join(root, 'docs', 'BENCHMARKS.md');
  const current = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
  const next = pattern.test(current)
    ? current.replace(pattern, () => section)
    : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

const measured = await measureColdStart();
const section = coldStartSection(measured);
await writeSection('cold-start', section);
console.log(`${section}\n\nwritten to docs/BENCHMARKS.md (${cpus().length} CPUs)`);

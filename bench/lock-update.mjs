#!/usr/bin/env node
// Benchmark of lock-update (issue #5): the pure part (parse two flake.locks, diff them, render the PR
// body under GitHub's 65,536-character limit) for 30 to 3,000 direct inputs, then the local part on the
// example fleet (update one advanced input with real Nix, then verify none / eval / build every host).
// Writes its tables between the bench:lock-update markers of docs/BENCHMARKS.md.
// Run: node bench/lock-update.mjs   (compiles src/ with tsc into a temporary directory first)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { flakeflowNixConfig } from '../scripts/nix-settings.mjs';
import { compileSrc } from './support/compile-src.mjs';

const root = new URL('..', import.meta.url).pathname;
const SIZES = [30, 300, 3000];
const REPEATS = 3;
process.env.NIX_CONFIG = flakeflowNixConfig();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const timed = async (body) => {
  const started = performance.now();
  const value = await body();
  return { value, ms: performance.now() - started };
};

/** A lock of `count` GitHub inputs, each with its own nixpkgs and flake-utils, a year apart per seed. */
function lockText(count, seed, day) {
  // Each input's own nixpkgs and flake-utils at a revision of their own, so the diff has one row per
  // node (nodes locked alike are one row since issue #17).
  const github = (owner, repo, inputs, rev = seed.repeat(40)) => ({
    ...(inputs ? { inputs } : {}),
    locked: {
      lastModified: 1_717_200_000 + day * 86_400,
      narHash: `sha256-${seed}=`,
      owner,
      repo,
      rev,
      type: 'github',
    },
    original: { owner, ref: 'nixos-unstable', repo, type: 'github' },
  });
  const nodes = { root: { inputs: {} } };
  for (let index = 0; index < count; index += 1) {
    const name = `input-${index}`;
    nodes.root.inputs[name] = name;
    nodes[name] = github('some-organisation', name, { nixpkgs: `nixpkgs_${index}`, utils: `utils_${index}` });
    const own = `${seed}${index.toString(16).padStart(39, '0')}`;
    nodes[`nixpkgs_${index}`] = github('NixOS', 'nixpkgs', undefined, own);
    nodes[`utils_${index}`] = github('numtide', 'flake-utils', undefined, own);
  }
  return JSON.stringify({ nodes, root: 'root', version: 7 }, null, 2);
}

const work = await mkdtemp(join(tmpdir(), 'flakeflow-bench-lock-update-'));
try {
  const load = await compileSrc(work);
  const { FlakeLock } = await load('lock/lock-file.js');
  const { diffLocks } = await load('lock/diff.js');
  const { renderPullRequestBody } = await load('lock/body.js');
  const { evaluateBaseline, proposeUpdate, readLockText } = await load('lock/update.js');
  const { materializeExampleFleet, advanceInput } = await load('demo/example-fleet.js');
  const { RecordingLogger } = await load('core/logger.js');
  const { SpawnProcessRunner } = await load('core/process.js');
  const { NixCli } = await load('nix/cli.js');

  const pure = [];
  for (const size of SIZES) {
    const oldText = lockText(size, 'a', 0);
    const newText = lockText(size, 'b', 365);
    let body = '';
    const runs = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const run = await timed(() => {
        const newLock = FlakeLock.parse(newText);
        const diff = diffLocks(FlakeLock.parse(oldText), newLock);
        const plan = { branch: 'b', inputs: 'all' };
        const verification = { level: 'none', hosts: [] };
        const proposal = { plan, oldLockText: oldText, newLockText: newText, newLock, diff, verification };
        return renderPullRequestBody({ proposal, stale: [], flakePath: '.' });
      });
      runs.push(run.ms);
      body = run.value;
    }
    const rows = (body.match(/^\| \*\*input-/gm) ?? []).length;
    pure.push({
      size,
      lockKiB: Math.round(newText.length / 1024),
      ms: median(runs),
      chars: body.length,
      rows,
      links: body.includes('[compare]('),
      transitive:
        (body.match(/^\| Input \|/gm) ?? []).length > 1
          ? 'table'
          : body.includes('<details>')
            ? 'listed'
            : 'counted',
    });
    console.log(JSON.stringify(pure.at(-1)));
  }

  const runner = new SpawnProcessRunner(new RecordingLogger());
  const nix = new NixCli(runner);
  const fleet = await materializeExampleFleet(join(work, 'fleet'));
  const oldLock = await readLockText(fleet.flakeDir, '.');
  const local = [];
  for (const verify of ['none', 'eval', 'build']) {
    const context = { nix, flakeDir: fleet.flakeDir, verify, logger: new RecordingLogger() };
    const runs = [];
    let hosts = 0;
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      await advanceInput(fleet, 'dotfiles', { kind: 'update' }, { runner });
      const run = await timed(async () => {
        const baseline = await evaluateBaseline(context);
        return proposeUpdate({ branch: 'b', inputs: 'all' }, oldLock, baseline, context);
      });
      runs.push(run.ms);
      hosts = run.value.verification.hosts.length;
    }
    local.push({ verify, ms: median(runs), hosts });
    console.log(JSON.stringify(local.at(-1)));
  }

  const nixVersion = execFileSync('nix', ['--version'], { encoding: 'utf8' }).trim();
  const ms = (value) => `${Math.round(value)} ms`;
  const section = [
    '<!-- bench:lock-update -->',
    '## lock-update: diff and body size, local update and verification',
    '',
    `\`node bench/lock-update.mjs\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${nixVersion}; medians of ${REPEATS} runs.`,
    'Parse two generated flake.locks (each direct input has its own nixpkgs and flake-utils, all moved by a year),',
    "diff them and render the pull request body, which drops detail until it fits GitHub's 65,536 characters:",
    '',
    '| direct inputs | new flake.lock | parse + diff + body | body characters | direct rows shown | compare links | inputs of inputs |',
    '| ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...pure.map(
      (row) =>
        `| ${row.size} | ${row.lockKiB} KiB | ${ms(row.ms)} | ${row.chars.toLocaleString('en')} | ${row.rows} | ${row.links ? 'yes' : 'dropped'} | ${row.transitive} |`,
    ),
    '',
    'The example fleet (6 hosts, 2 local git inputs): evaluate the hosts with the old lock, `nix flake update`',
    'after one input gained a commit, diff, then verify every host with the new lock:',
    '',
    '| verify | baseline + update + verify | hosts |',
    '| --- | ---: | ---: |',
    ...local.map((row) => `| ${row.verify} | ${ms(row.ms)} | ${row.hosts} |`),
    '<!-- /bench:lock-update -->',
  ].join('\n');

  const docs = join(root, 'docs', 'BENCHMARKS.md');
  let text = existsSync(docs) ? await readFile(docs, 'utf8') : '# Benchmarks\n';
  const pattern = /<!-- bench:lock-update -->[\s\S]*?<!-- \/bench:lock-update -->/;
  text = pattern.test(text) ? text.replace(pattern, () => section) : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(docs, text);
  console.log(`\n${section}\n\nwritten to docs/BENCHMARKS.md`);
} finally {
  await rm(work, { recursive: true, force: true });
}

#!/usr/bin/env node
// Benchmark of the hosts action's evaluation (issue #3): on generated fleets of 10, 50 and 200 hosts,
// listHosts (one evaluator process for every host) against the naive loop of one
// `nix eval …drvPath` per host, measured in the same run; then changed-since after touching one
// host. Once with the machine's Nix 2.8 and once with the Nix 2.26 scripts/setup puts in its prefix
// (issue #12), side by side. Writes its table between the bench:hosts markers of docs/BENCHMARKS.md.
// Then the bounded evaluators of issue #16 (bench/hosts-memory.mjs, its own bench:hosts-memory section),
// with the machine's Nix.
// Run: node bench/hosts.mjs   (compiles src/ with tsc into a temporary directory first);
// `node bench/hosts.mjs --memory-only` runs only the bounded-evaluator part.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { flakeflowNixConfig } from '../scripts/nix-settings.mjs';
import { benchBoundedEvaluation } from './hosts-memory.mjs';
import { compileSrc } from './support/compile-src.mjs';

const root = new URL('..', import.meta.url).pathname;
const MEMORY_ONLY = process.argv.includes('--memory-only');
const SIZES = MEMORY_ONLY ? [] : [10, 50, 200];
const REPEATS = 3;
// The Nix versions compared: the machine's own on PATH, and the one scripts/setup installs in its prefix.
const NIX_VERSIONS = [
  { label: 'Nix 2.8', binDir: undefined, version: /^nix \(Nix\) 2\.8\./ },
  { label: 'Nix 2.26', binDir: '/opt/flakeflow/nix-2.26.3/bin', version: /^nix \(Nix\) 2\.26\./ },
];
const ORIGINAL_PATH = process.env.PATH ?? '';
const NIX_CONFIG = flakeflowNixConfig();
process.env.NIX_CONFIG = NIX_CONFIG;

const work = await mkdtemp(join(tmpdir(), 'flakeflow-bench-hosts-'));
try {
  const load = await compileSrc(work);
  const { generateFleet } = await load('demo/generate-fleet.js');
  const { commitAll } = await load('demo/git-repo.js');
  const { listHosts } = await load('hosts/list-hosts.js');
  const { hostsInputs } = await load('hosts/inputs.js');
  const { parseInputs } = await load('core/inputs.js');
  const { RecordingLogger } = await load('core/logger.js');
  const { SpawnProcessRunner } = await load('core/process.js');
  const { installable } = await load('nix/cli.js');
  const { NixEvalFleetEvaluator } = await load('nix/fleet-hosts.js');

  const hosts = async (flakeDir, raw = {}) => {
    const logger = new RecordingLogger();
    const settings = parseInputs(hostsInputs, (name) => raw[name]);
    return listHosts(settings, {
      runner: new SpawnProcessRunner(logger),
      logger,
      probe: { head: async () => 404 },
      workspace: flakeDir,
      tempDir: work,
      machine: { cores: cpus().length, memoryKiB: Math.floor(totalmem() / 1024) },
    });
  };
  const timed = async (body) => {
    const started = performance.now();
    const value = await body();
    return { value, ms: performance.now() - started };
  };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

  /** Every later `nix` (the runner's and spawnSync's) is this version's: fails when it is missing. */
  const useNix = (nix) => {
    process.env.PATH = nix.binDir ? `${nix.binDir}:${ORIGINAL_PATH}` : ORIGINAL_PATH;
    const found = spawnSync('nix', ['--version'], { encoding: 'utf8' });
    const text = `${found.stdout ?? ''}${found.error ?? ''}`.trim();
    if (!nix.version.test(text))
      throw new Error(`${nix.label} is missing (nix --version: ${text}): run scripts/setup`);
    return text;
  };

  const rows = [];
  const nixVersions = [];
  for (const nix of NIX_VERSIONS) {
    nixVersions.push(useNix(nix));
    for (const size of SIZES) {
      const fleet = await generateFleet(join(work, `fleet-${size}-${nix.label.replace(' ', '-')}`), size);
      await hosts(fleet.flakeDir); // copies the flake to the store once, for both contenders
      const runs = [];
      let result;
      for (let repeat = 0; repeat < REPEATS; repeat += 1) {
        const run = await timed(() => hosts(fleet.flakeDir));
        runs.push(run.ms);
        result = run.value;
      }
      const singleRuns = [];
      for (let repeat = 0; repeat < REPEATS; repeat += 1) {
        const logger = new RecordingLogger();
        const single = await timed(() =>
          new NixEvalFleetEvaluator(new SpawnProcessRunner(logger), { logger }).evaluate({
            flakeDir: fleet.flakeDir,
            kinds: ['nixos', 'darwin', 'home'],
            label: 'the working tree',
          }),
        );
        if (single.value.hosts.length !== result.count) {
          throw new Error(`one process evaluated ${single.value.hosts.length} hosts, hosts ${result.count}`);
        }
        singleRuns.push(single.ms);
      }
      const naive = await timed(async () => {
        for (const host of fleet.hosts) {
          const attr = installable(fleet.flakeDir, [...host.buildAttrPath, 'drvPath']);
          const eval1 = spawnSync('nix', ['eval', '--raw', attr], { encoding: 'utf8' });
          if (eval1.status !== 0) throw new Error(`nix eval ${attr} failed: ${eval1.stderr}`);
        }
      });
      const hostDir = fleet.hosts[0].name;
      const module = join(fleet.flakeDir, 'hosts', hostDir, 'default.nix');
      await writeFile(
        module,
        (await readFile(module, 'utf8')).replace('fsType = "ext4";', 'fsType = "xfs";'),
      );
      await commitAll(new SpawnProcessRunner(new RecordingLogger()), fleet.flakeDir, `${hostDir}: xfs`);
      const changed = await timed(() => hosts(fleet.flakeDir, { 'changed-since': 'HEAD~1' }));
      rows.push({
        nix: nix.label,
        size,
        hostsMs: median(runs),
        singleMs: median(singleRuns),
        processes: result.processes,
        naiveMs: naive.ms,
        changedMs: changed.ms,
        entries: changed.value.matrix.length,
        entryHosts: changed.value.matrix.map((entry) => entry.host).join(' '),
      });
      console.log(JSON.stringify(rows.at(-1)));
    }
  }
  process.env.PATH = ORIGINAL_PATH;

  const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const [older, newer] = NIX_VERSIONS.map((nix) => nix.label);
  const rowOf = (label, size) => rows.find((row) => row.nix === label && row.size === size);
  const cells = (row) => [
    seconds(row.hostsMs),
    seconds(row.singleMs),
    seconds(row.naiveMs),
    `${(row.naiveMs / row.hostsMs).toFixed(1)}×`,
    `${seconds(row.changedMs)}, ${row.entries} (${row.entryHosts})`,
  ];
  const table = [
    `| hosts | ${[older, newer].map((label) => `${label}: \`hosts\` | ${label}: one \`nix eval\` | ${label}: naive loop | ${label}: speed-up | ${label}: \`changed-since\`, matrix entries`).join(' | ')} |`,
    `| ---: | ${Array(10).fill('---:').join(' | ')} |`,
    ...SIZES.map(
      (size) => `| ${size} | ${[...cells(rowOf(older, size)), ...cells(rowOf(newer, size))].join(' | ')} |`,
    ),
  ].join('\n');
  const processes = [...new Set(rows.map((row) => row.processes))].join(', ');
  const section = [
    '<!-- bench:hosts -->',
    '## hosts: the evaluator pool, one evaluation, and one `nix eval` per host',
    '',
    `\`node bench/hosts.mjs\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${nixVersions.join(' and ')} (from scripts/setup's prefix), side by side, load average ${loadavg()[0].toFixed(1)} at the end (other work on the machine slows the naive loop most). Generated fleets`,
    '(`generateFleet`: NixOS x86_64/aarch64, nix-darwin and Home Manager hosts sharing modules). `hosts` is',
    `\`listHosts\` with default inputs (the bounded pool, one worker per core; evaluator processes per run: ${processes}), the median of ${REPEATS} runs after one warm-up that copies the flake to the store;`,
    'one `nix eval` is the one-process evaluation of every host (`NixEvalFleetEvaluator`), the median of as many runs;',
    "the naive loop evaluates each host's `…drvPath` in its own `nix eval`, in the same run, after the same warm-up. The speed-up is the naive loop's over `hosts`.",
    "`changed-since` evaluates the working tree and `HEAD~1` (a git worktree) concurrently after one host's",
    'module changed; the matrix must hold exactly that host.',
    '',
    table,
    '<!-- /bench:hosts -->',
  ].join('\n');

  const docs = join(root, 'docs', 'BENCHMARKS.md');
  const writeSection = async (name, body) => {
    let text = existsSync(docs) ? await readFile(docs, 'utf8') : '# Benchmarks\n';
    const pattern = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
    text = pattern.test(text) ? text.replace(pattern, () => body) : `${text.trimEnd()}\n\n${body}\n`;
    await writeFile(docs, text);
  };
  if (!MEMORY_ONLY) {
    await writeSection('hosts', section);
    console.log(`\n${table}\n\nwritten to docs/BENCHMARKS.md`);
  }

  const memorySection = await benchBoundedEvaluation({
    load,
    work,
    hosts,
    // PATH is the machine's own again: its Nix, the first of NIX_VERSIONS.
    nixVersion: nixVersions[0],
    // BENCH_MEMORY_SIZES=10,40 for a shorter run.
    ...(process.env.BENCH_MEMORY_SIZES
      ? { sizes: process.env.BENCH_MEMORY_SIZES.split(',').map(Number) }
      : {}),
  });
  await writeSection('hosts-memory', memorySection);
  console.log(`\n${memorySection}\n\nwritten to docs/BENCHMARKS.md`);
} finally {
  await rm(work, { recursive: true, force: true });
}

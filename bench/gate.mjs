#!/usr/bin/env node
// Benchmark of the gate against the same tools run directly (issue 25).
//
// On a generated repository shaped like the homelab flakes the issue measured (hosts, modules,
// home-manager files, overlays; findings of every tool, emoji and tabs, a few files that do not
// parse) and on the example fleet (src/demo), it times side by side, round after round:
// - the tools run directly, all at once, as a person would in a shell: `deadnix --output-format json .`,
//   `statix check -o json .` and `alejandra --check .` started together, until the last one exits;
// - the gate action BEFORE this change (the bundle of a `git worktree` of main, --before, default
//   ../gate-before) and AFTER it (dist/gate/index.js), with format (alejandra), deadnix and statix,
//   files: all, started as the runner starts it;
// - each bundle refusing a bad input: its start-up.
// The tools are the fakes of test/gate/fakes (they print the real tools' recorded format, reading
// every file they are given). Reports medians and writes the table into docs/BENCHMARKS.md between
// <!-- bench:gate --> markers.
//
// Usage: npm run build && node bench/gate.mjs [--runs 7] [--files 400] [--before ../gate-before]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { compileSrc } from './support/compile-src.mjs';
import { fakeToolsOnPath, gateInputs, git, gitEnv, median } from './support/gate-fakes.mjs';

const root = new URL('..', import.meta.url).pathname;
const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const RUNS = Number(option('runs', 7));
const FILES = Number(option('files', 400));
const BUNDLES = {
  before: join(resolve(root, option('before', '../gate-before')), 'dist', 'gate', 'index.js'),
  after: join(root, 'dist', 'gate', 'index.js'),
};
const _TOOLS = ['deadnix', 'statix', 'alejandra'];

for (const [name, bundle] of Object.entries(BUNDLES)) {
  if (!existsSync(bundle)) {
    console.error(
      `${bundle} is missing (${name}): run \`npm run build\`, and \`git worktree add --detach ../gate-before main\``,
    );
    process.exit(1);
  }
}

const ICONS = ['🚀', '🛰', '\u{F0463}', '日本語', '✨'];

/** One module of a homelab flake, 30–70 lines; `index` decides which findings it carries. */
function homelabModule(index) {
  const icon = ICONS[index % ICONS.length];
  const dead = index % 9 === 0 ? `  unused${index} = "left over";\n` : '';
  const pattern = index % 11 === 0 ? '{ config, lib, pkgs, ... }' : '{ config, pkgs, ... }';
  const inherit = index % 7 === 0 ? '    hostName = hostName;\n' : '    inherit hostName;\n';
  const bool = index % 13 === 0 ? 'config.services.bar.enable == true' : 'config.services.bar.enable';
  const trailing = index % 8 === 0 ? '   ' : '';
  const indent = index % 17 === 0 ? '\t' : '    ';
  const services = Array.from(
    { length: 15 + (index % 20) },
    (_, i) => `${indent}services.svc${i}.enable = ${i % 2 === 0};${i === 3 ? trailing : ''}`,
  ).join('\n');
  return `${pattern}:
let
  hostName = "node${index}";
  label = "${icon} node${index}";
${dead}in {
  networking = {
${inherit}  };
  programs.bar.label = label;
  programs.bar.show = ${bool};
  environment.systemPackages = [ pkgs.git pkgs.htop ];
  config = {
${services}
  };
}
`;
}

async function writeTree(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

async function generatedRepository(count) {
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-gate-bench-'));
  const folders = [
    'hosts/rack',
    'hosts/edge',
    'modules/services',
    'modules/desktop',
    'home/programs',
    'overlays',
  ];
  const files = {
    'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
    // Files that do not parse: each tool reports them, the gate folds them into one annotation.
    'hosts/broken/default.nix': '{\n\tnetworking.hostName = "🚀 broken";\n\tboot = ;\n}\n',
    'modules/broken.nix': '{ config, ... }:\n{\n  services.x = { enable = true;\n',
  };
  for (let index = 0; index < count; index += 1) {
    files[`${folders[index % folders.length]}/module${String(index).padStart(4, '0')}.nix`] =
      homelabModule(index);
  }
  await writeTree(dir, files);
  git(dir, 'init', '--quiet');
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--message', `homelab of ${count} modules`);
  return {
    name: `generated homelab (${Object.keys(files).length} .nix files)`,
    dir,
    files: Object.keys(files).length,
  };
}

async function exampleFleet(work) {
  const load = await compileSrc(join(work, 'src'));
  const { materializeExampleFleet } = await load('demo/example-fleet.js');
  const fleet = await materializeExampleFleet(join(work, 'fleet'));
  const files = git(fleet.flakeDir, 'ls-files', '*.nix').split('\n').filter(Boolean).length;
  return { name: `example fleet (${files} .nix files)`, dir: fleet.flakeDir, files };
}

function spawnTimed(command, args, options) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'], ...options });
    child.on('error', reject);
    child.on('close', (code) => resolveRun(code));
  });
}

/** The three tools started together, as a shell's `a & b & c & wait`: wall time until the last exits. */
async function toolsDirectly(repo, bin) {
  const env = { ...process.env, PATH: [bin, process.env.PATH].join(delimiter), NO_COLOR: '1' };
  const started = process.hrtime.bigint();
  await Promise.all([
    spawnTimed(join(bin, 'deadnix'), ['--output-format', 'json', '.'], { cwd: repo.dir, env }),
    spawnTimed(join(bin, 'statix'), ['check', '-o', 'json', '.'], { cwd: repo.dir, env }),
    spawnTimed(join(bin, 'alejandra'), ['--check', '.'], { cwd: repo.dir, env }),
  ]);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** One run of a built gate action as the runner starts it: wall time and what it found. */
async function runGate(bundle, repo, bin) {
  const temp = await mkdtemp(join(tmpdir(), 'flakeflow-gate-bench-runner-'));
  const outputs = join(temp, 'output');
  await writeFile(outputs, '');
  await writeFile(join(temp, 'summary'), '');
  await writeFile(join(temp, 'event.json'), '{}');
  const env = {
    ...gitEnv,
    PATH: [bin, process.env.PATH].join(delimiter),
    GITHUB_WORKSPACE: repo.dir,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: join(temp, 'event.json'),
    GITHUB_OUTPUT: outputs,
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    GITHUB_REPOSITORY: 'octo-org/homelab',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    RUNNER_TEMP: temp,
    ...gateInputs('all'),
  };
  const started = process.hrtime.bigint();
  const code = await spawnTimed(process.execPath, [bundle], { cwd: repo.dir, env });
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  const written = await readFile(outputs, 'utf8');
  const reportPath = /report<<(\S+)\n(.+)\n/.exec(written)?.[2];
  const report = reportPath ? JSON.parse(await readFile(reportPath, 'utf8')) : undefined;
  await rm(temp, { recursive: true, force: true });
  if (code !== 0 || !report) throw new Error(`the gate (${bundle}) exited with ${code} on ${repo.dir}`);
  return { milliseconds, report };
}

/** The bundle refusing a bad input: what loading the action costs before any work. */
async function startUp(bundle) {
  const started = process.hrtime.bigint();
  await spawnTimed(process.execPath, [bundle], { env: { ...process.env, INPUT_FILES: 'bogus' } });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** What was found, columns aside (the earlier gate counted them in UTF-16 units): file, rule, line. */
const found = (report) =>
  report.findings
    .filter((finding) => finding.rule !== 'unformatted')
    .map((finding) => `${finding.file} ${finding.rule} ${finding.line}`)
    .concat(report.unformatted.map((file) => `${file} unformatted`))
    .sort();

const work = await mkdtemp(join(tmpdir(), 'flakeflow-gate-bench-work-'));
const bin = await fakeToolsOnPath();
const loadBefore = loadavg()[0];
const repos = [await generatedRepository(FILES), await exampleFleet(work)];
const rows = [];
for (const repo of repos) {
  const times = { direct: [], before: [], after: [], startBefore: [], startAfter: [] };
  let reports;
  // A warm-up of each, then rounds in which each runs once, so a burst of other work on the
  // machine falls on all of them alike.
  await toolsDirectly(repo, bin);
  for (const bundle of Object.values(BUNDLES)) await runGate(bundle, repo, bin);
  for (let run = 0; run < RUNS; run += 1) {
    times.direct.push(await toolsDirectly(repo, bin));
    const before = await runGate(BUNDLES.before, repo, bin);
    const after = await runGate(BUNDLES.after, repo, bin);
    times.before.push(before.milliseconds);
    times.after.push(after.milliseconds);
    times.startBefore.push(await startUp(BUNDLES.before));
    times.startAfter.push(await startUp(BUNDLES.after));
    reports = { before: before.report, after: after.report };
  }
  const same = JSON.stringify(found(reports.before)) === JSON.stringify(found(reports.after));
  const row = {
    name: repo.name,
    findings: reports.after.findings.length,
    findingsBefore: reports.before.findings.length,
    same,
    direct: median(times.direct),
    before: median(times.before),
    after: median(times.after),
    startBefore: median(times.startBefore),
    startAfter: median(times.startAfter),
  };
  row.goal = 1.2 * row.direct + row.startAfter;
  rows.push(row);
  console.log(
    `${repo.name}: tools directly ${row.direct.toFixed(0)} ms, gate before ${row.before.toFixed(0)} ms, ` +
      `after ${row.after.toFixed(0)} ms (goal ≤ ${row.goal.toFixed(0)} ms), start-up ${row.startAfter.toFixed(0)} ms, ` +
      `${row.findings} findings${same ? ', the same as before' : ' — DIFFERENT from before'}`,
  );
}
const loadAfter = loadavg()[0];
await rm(bin, { recursive: true, force: true });
await rm(work, { recursive: true, force: true });

const ms = (value) => `${value.toFixed(0)} ms`;
const table = [
  '| repository | findings | tools directly, at once | gate before | gate after | after − start-up, ÷ directly | goal: ≤ 1.2 × directly + start-up | start-up (before → after) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: |',
  ...rows.map(
    (row) =>
      `| ${row.name} | ${row.findings}${row.same ? '' : ` (before: ${row.findingsBefore})`} | ${ms(row.direct)} | ${ms(row.before)} | ${ms(row.after)} | ${((row.after - row.startAfter) / row.direct).toFixed(2)}× | ${row.after <= row.goal ? '✅' : '❌'} ${ms(row.goal)} | ${ms(row.startBefore)} → ${ms(row.startAfter)} |`,
  ),
].join('\n');
const section = [
  '<!-- bench:gate -->',
  '## gate: against the same tools run directly',
  '',
  `\`node bench/gate.mjs\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} CPUs (availableParallelism ${availableParallelism()}), Node ${process.version}; ` +
    `load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after: the machine is shared with other engineers' builds and tests, so absolute times are noisy and the`,
  'ratios, measured in the same rounds, are the figures to trust. Medians of ' +
    `${RUNS} rounds; each round runs, one after the other: the tools directly, the gate before, the gate after, each bundle's start-up.`,
  '',
  '- **tools directly, at once**: `deadnix --output-format json .`, `statix check -o json .` and `alejandra --check .` started together in the',
  "  repository, until the last exits: the fakes of test/gate/fakes, which print the real tools' formats and read every file.",
  "- **gate before / after**: the built gate action (before: main's dist/gate/index.js, from a `git worktree`; after: this branch's),",
  '  started as the runner starts it, with format (alejandra), deadnix and statix, `files: all`, `fail-on: never`, annotations on.',
  '  Before, alejandra ran with `--check` and then once more per unformatted file (at most 25) to find the lines; after, it formats',
  '  copies of the files once and the gate compares them in memory; the checks run side by side, each spreading its files over its',
  "  share of the runner's cores at most.",
  '- **start-up**: the bundle refusing a bad input. The goal: the gate no slower than 1.2 × the tools directly, plus its start-up.',
  '- The findings are the same before and after (file, rule and line of each, and the unformatted files) unless the table says otherwise;',
  '  only their columns after non-BMP characters differ (before counted UTF-16 units) and every unformatted file now has its lines.',
  '',
  table,
  '<!-- /bench:gate -->',
].join('\n');

const docs = join(root, 'docs', 'BENCHMARKS.md');
let text = existsSync(docs) ? await readFile(docs, 'utf8') : '# Benchmarks\n';
const pattern = /<!-- bench:gate -->[\s\S]*?<!-- \/bench:gate -->/;
text = pattern.test(text) ? text.replace(pattern, section) : `${text.replace(/\n*$/, '\n\n')}${section}\n`;
await writeFile(docs, text);
console.log(`\n${table}\n\nwritten to docs/BENCHMARKS.md`);

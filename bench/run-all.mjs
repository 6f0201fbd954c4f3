#!/usr/bin/env node
// `npm run bench`: builds the bundles, then runs every benchmark of bench/ one after the other in
// this one run (each rewrites its own section of docs/BENCHMARKS.md between its bench:NAME markers)
// and writes the machine they ran on at the top. A benchmark that fails leaves its section as it was;
// the machine section then says so, and the command exits 1.
// BENCH_SKIP_BUILD=1 skips the build; `npm run bench -- cold-start gate` runs only those.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const docs = join(root, 'docs', 'BENCHMARKS.md');
/** Quick ones first; the rest in the order of a fleet's life. Others found in bench/ follow. */
const ORDER = ['cold-start', 'hosts', 'lock-update', 'gate', 'deploy', 'backup'];

function versionOf(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return `${command}: not found`;
  }
}

async function benchmarks(only) {
  const found = (await readdir(join(root, 'bench')))
    .filter((file) => file.endsWith('.mjs') && file !== basename(import.meta.url))
    .map((file) => file.replace(/\.mjs$/, ''));
  const ordered = [
    ...ORDER.filter((name) => found.includes(name)),
    ...found.filter((name) => !ORDER.includes(name)).sort(),
  ];
  if (only.length === 0) return ordered;
  const unknown = only.filter((name) => !found.includes(name));
  if (unknown.length > 0)
    throw new Error(`no benchmark ${unknown.join(', ')} in bench/ (there are ${ordered.join(', ')})`);
  return ordered.filter((name) => only.includes(name));
}

function run(command, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve({ code, signal, seconds: (Date.now() - started) / 1000 }));
    child.on('error', () => resolve({ code: 127, signal: null, seconds: (Date.now() - started) / 1000 }));
  });
}

function machineSection({ started, finished, loads, results, all }) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const failed = results.filter((result) => result.code !== 0);
  return [
    '<!-- bench:machine -->',
    `Measured by \`npm run bench\` (bench/run-all.mjs) in one run on ${started.toISOString().slice(0, 10)}, ` +
      `${started.toISOString().slice(11, 16)}–${finished.toISOString().slice(11, 16)} UTC: ` +
      (all
        ? 'every table below comes from that run'
        : `the tables of ${results.map((result) => result.name).join(', ')} come from that run (the others from earlier ones)`) +
      ', each with its medians and ratios measured side by side.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${cpu}, ${cpus().length} cores |`,
    `| memory | ${(totalmem() / 1024 ** 3).toFixed(1)} GiB |`,
    `| Node | ${process.version} |`,
    `| Nix | ${versionOf('nix', ['--version'])} |`,
    `| restic | ${versionOf('restic', ['version'])} |`,
    `| load average (1 min) | ${loads.map((load) => load.toFixed(1)).join(' → ')} (before the first, then after each benchmark) |`,
    '',
    'The machine was shared with other work while this ran (builds and test suites of other engineers), so absolute ' +
      'times are pessimistic and noisy; the ratios within a table, measured in the same minutes, are the figures to ' +
      'trust. Re-run with `npm run bench` (about ten minutes after the build; `npm run bench -- cold-start` runs one).',
    '',
    '| benchmark | took | result |',
    '| --- | ---: | --- |',
    ...results.map(
      (result) =>
        `| \`bench/${result.name}.mjs\` | ${result.seconds.toFixed(0)} s | ${
          result.code === 0
            ? 'written below'
            : `**failed** (${result.signal ?? `exit ${result.code}`}): its section is from an earlier run`
        } |`,
    ),
    ...(failed.length > 0 ? ['', `${failed.length} benchmark(s) failed in this run.`] : []),
    '<!-- /bench:machine -->',
  ].join('\n');
}

/** Puts the machine section right under the title, replacing the one there. */
async function writeMachine(section) {
  const current = existsSync(docs) ? await readFile(docs, 'utf8') : '# Benchmarks\n';
  const pattern = /<!-- bench:machine -->[\s\S]*?<!-- \/bench:machine -->\n*/;
  const rest = current.replace(pattern, '').replace(/^# Benchmarks\n*/, '');
  await writeFile(docs, `# Benchmarks\n\n${section}\n\n${rest.trimEnd()}\n`);
}

const only = process.argv.slice(2);
const names = await benchmarks(only);
if (process.env.BENCH_SKIP_BUILD !== '1') {
  const build = await run(process.execPath, [join(root, 'scripts', 'build.mjs')]);
  if (build.code !== 0) {
    console.error('npm run build failed: nothing was measured');
    process.exit(1);
  }
}
const started = new Date();
const loads = [loadavg()[0]];
const results = [];
for (const name of names) {
  console.log(`\n━━ bench/${name}.mjs ━━`);
  const result = await run(process.execPath, [join(root, 'bench', `${name}.mjs`)]);
  results.push({ name, ...result });
  loads.push(loadavg()[0]);
}
await writeMachine(machineSection({ started, finished: new Date(), loads, results, all: only.length === 0 }));
console.log(
  `\n${results.map((result) => `${result.code === 0 ? '✅' : '❌'} bench/${result.name}.mjs ${result.seconds.toFixed(0)} s`).join('\n')}\n\ndocs/BENCHMARKS.md written`,
);
process.exit(results.every((result) => result.code === 0) ? 0 : 1);

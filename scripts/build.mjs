#!/usr/bin/env node
// Compiles src/ with tsc, then bundles every entry of src/bundles/ with ncc into dist/: one folder per
// action, plus the post steps. Type errors stop the build here, before ncc sees the code.
// Builds are serialised by a lock directory and dist/ is swapped in whole, so tests reading dist/ while
// another build runs never see it half-written.
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('..', import.meta.url).pathname;
const ncc = join(root, 'node_modules', '.bin', 'ncc');
const compiled = join(root, '.build');
const staging = join(root, '.dist-staging');
const lock = join(root, '.build-lock');
const STALE_LOCK_MS = 10 * 60_000;

/** The actions that declare a post step: it removes the secrets' files (SSH keys, the Nix access). */
const POST_STEP_ACTIONS = [
  'gate',
  'hosts',
  'build',
  'lock-update',
  'deploy',
  'backup-verify',
  'status',
  'umbrella',
];

/** Where each bundle lands; `post` serves every action that declares a post step. */
function destinations(name) {
  if (name === 'post') return POST_STEP_ACTIONS.map((action) => join(action, 'post.js'));
  if (name === 'cli') return [join('cli', 'index.js')];
  return [join(name, 'index.js')];
}

async function acquireLock() {
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else await sleep(500);
    }
  }
}

function bundle(entry) {
  return mkdtemp(join(tmpdir(), 'flakeflow-ncc-')).then(
    (out) =>
      new Promise((resolve, reject) => {
        const child = spawn(ncc, ['build', entry, '-o', out, '--target', 'es2022', '--quiet'], {
          cwd: root,
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`ncc failed for ${entry}`)),
        );
      }),
  );
}

async function buildOne(file) {
  const name = basename(file, '.ts');
  const out = await bundle(join(compiled, 'bundles', file.replace(/\.ts$/, '.js')));
  for (const target of destinations(name)) {
    await mkdir(join(staging, target, '..'), { recursive: true });
    await cp(join(out, 'index.js'), join(staging, target));
    await cp(join(out, 'package.json'), join(staging, target, '..', 'package.json'));
  }
  await rm(out, { recursive: true, force: true });
  console.log(
    `built ${destinations(name)
      .map((target) => join('dist', target))
      .join(', ')}`,
  );
}

await acquireLock();
try {
  await rm(compiled, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const entries = (await readdir(join(root, 'src', 'bundles'))).filter((file) => file.endsWith('.ts')).sort();
  const queue = [...entries];
  const workers = Array.from({ length: 3 }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) await buildOne(file);
  });
  await Promise.all(workers);
  await rm(join(root, 'dist'), { recursive: true, force: true });
  await rename(staging, join(root, 'dist'));
} finally {
  await rm(lock, { recursive: true, force: true });
}

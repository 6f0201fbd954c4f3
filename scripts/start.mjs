#!/usr/bin/env node
// `npm start`: the main job, `flakeflow demo` on the example fleet, with Nix set up as the tests use it
// (flakes on, no sandbox, no substituters, extra platforms for the aarch64 and darwin example hosts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'index.js');
if (!existsSync(cli)) {
  console.error('dist/cli/index.js is missing: run `npm run build` first');
  process.exit(1);
}
const demoNixConfig = [
  'experimental-features = nix-command flakes',
  'sandbox = false',
  'substituters =',
  'extra-platforms = aarch64-linux x86_64-darwin aarch64-darwin',
  'warn-dirty = false',
  'flake-registry =',
].join('\n');
const env = {
  ...process.env,
  NIX_CONFIG: [process.env.NIX_CONFIG, demoNixConfig].filter(Boolean).join('\n'),
  GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'flakeflow demo',
  GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'demo@flakeflow.invalid',
  GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'flakeflow demo',
  GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'demo@flakeflow.invalid',
};
const result = spawnSync(process.execPath, [cli, 'demo', ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);

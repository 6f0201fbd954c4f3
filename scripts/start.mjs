#!/usr/bin/env node
// `npm start`: the main job, `flakeflow demo` on the example fleet, with Nix set up as the tests use it
// (scripts/nix-settings.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { flakeflowNixConfig } from './nix-settings.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli', 'index.js');
if (!existsSync(cli)) {
  console.error('dist/cli/index.js is missing: run `npm run build` first');
  process.exit(1);
}
const env = {
  ...process.env,
  NIX_CONFIG: flakeflowNixConfig(),
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

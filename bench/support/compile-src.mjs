// Compiles src/ with tsc into `work`/compiled, so a benchmark runs the code as it is now without a
// bundle, and returns a loader for its modules. The compiled modules look for nix/ (fleet.nix, the
// examples) and node_modules upwards from themselves, so both are linked beside them.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;

/** @returns {Promise<(path: string) => Promise<any>>} loads `path` (e.g. `hosts/list-hosts.js`) of the compiled src/ */
export async function compileSrc(work) {
  const compiled = join(work, 'compiled');
  execFileSync(
    join(root, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', compiled],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  execFileSync('ln', ['-s', join(root, 'nix'), join(work, 'nix')]);
  execFileSync('ln', ['-s', join(root, 'node_modules'), join(work, 'node_modules')]);
  await writeFile(join(work, 'package.json'), '{ "type": "module" }\n');
  return (path) => import(pathToFileURL(join(compiled, path)).href);
}

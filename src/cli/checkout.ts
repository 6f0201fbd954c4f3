import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file of the flakeflow checkout (action.yml files, the callers in workflows/, test fixtures),
 * found upwards from this module: it sits two levels down both as source (src/cli) and bundled
 * (dist/cli).
 */
export function findCheckoutFile(
  relativePath: string,
  accept: (path: string) => boolean = () => true,
): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate) && accept(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

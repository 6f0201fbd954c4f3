import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The program `name` on `pathVariable` (PATH), when it is there and executable. */
export function findProgram(name: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';

function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

/** The real path of what `path` names, through its nearest existing ancestor when it does not exist yet. */
function realPathOf(path: string): string {
  const missing: string[] = [];
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  return join(realpathSync(existing), ...missing);
}

/**
 * Resolves an input that names a file or directory of the checkout, refusing one outside it: a `..`
 * too many is nearly always a mistake, and on a self-hosted runner what lies beside the checkout
 * (other jobs' checkouts, the runner's own credentials) must never be read into a report. A symlink
 * in the checkout is followed, so it cannot lead outside either.
 */
export function workspacePath(workspace: string, input: string, value: string): string {
  const root = resolve(workspace);
  const path = resolve(root, value);
  const inside = isInside(root, path) && isInside(realPathOf(root), realPathOf(path));
  if (!inside) {
    throw new UserError(`Input '${input}' must be a path inside the workspace (${root}), got '${value}'`);
  }
  return path;
}

/** Checks every input `names` lists that holds a path; empty inputs are the capability's to default. */
export function checkWorkspacePaths(
  settings: Readonly<Record<string, unknown>>,
  names: readonly string[],
  workspace: string,
): void {
  for (const name of names) {
    const value = settings[name];
    if (typeof value === 'string' && value !== '') workspacePath(workspace, name, value);
  }
}

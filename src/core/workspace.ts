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
 * Where a path input leads. The workflow file is the trust boundary: an absolute path is read where
 * the workflow's author wrote it (a self-hosted runner's `/etc/svc/services.json`, a password file
 * under `/run/secrets`); a relative path is the checkout's, and the checkout is the pull request's to
 * change, so it resolves in the workspace and may not lead out of it, by `..` or by a symlink.
 */
export function inputPath(workspace: string, input: string, value: string): string {
  if (isAbsolute(value)) return resolve(value);
  const root = resolve(workspace);
  const path = resolve(root, value);
  const inside = isInside(root, path) && isInside(realPathOf(root), realPathOf(path));
  if (!inside) {
    throw new UserError(
      `Input '${input}' must be an absolute path or a path inside the workspace (${root}), got '${value}'`,
    );
  }
  return path;
}

/** Checks every input `names` lists that holds a path; empty inputs are the capability's to default. */
export function checkPathInputs(
  settings: Readonly<Record<string, unknown>>,
  names: readonly string[],
  workspace: string,
): void {
  for (const name of names) {
    const value = settings[name];
    if (typeof value === 'string' && value !== '') inputPath(workspace, name, value);
  }
}

/** The flake directory the `path` input names, relative to the workspace; a UserError when it holds no flake.nix. */
export function flakeDirOf(workspace: string, path: string): string {
  const flakeDir = resolve(workspace, path);
  if (!existsSync(join(flakeDir, 'flake.nix'))) {
    throw new UserError(`Input 'path' must be a directory holding a flake.nix, got '${path}' (${flakeDir})`);
  }
  return flakeDir;
}

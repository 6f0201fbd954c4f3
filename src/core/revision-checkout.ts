import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UserError } from './errors.js';
import { type ProcessRunner, succeeded } from './process.js';

export interface Checkout {
  /** The commit the revision names. */
  commit: string;
  /** The flake directory inside the checkout. */
  flakeDir: string;
}

async function git(runner: ProcessRunner, cwd: string, args: readonly string[], signal?: AbortSignal) {
  return runner.run('git', ['-c', 'core.hooksPath=/dev/null', ...args], { cwd, signal });
}

/** The commit checked out in the repository of `dir`, or undefined outside git (or before a first commit). */
export async function headCommit(runner: ProcessRunner, dir: string): Promise<string | undefined> {
  const result = await git(runner, dir, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  return succeeded(result) ? result.stdout.trim() : undefined;
}

/** How many commits `to` has that `from` has not (`git rev-list --count from..to`); undefined when git cannot tell. */
export async function commitsBetween(
  runner: ProcessRunner,
  dir: string,
  from: string,
  to: string,
): Promise<number | undefined> {
  const result = await git(runner, dir, ['rev-list', '--count', '--end-of-options', `${from}..${to}`]);
  const count = Number.parseInt(result.stdout.trim(), 10);
  return succeeded(result) && Number.isInteger(count) ? count : undefined;
}

/** The commit `revision` names in the repository of `dir`; a UserError naming `input` when there is none. */
export async function resolveCommit(
  runner: ProcessRunner,
  dir: string,
  revision: string,
  input: string,
): Promise<string> {
  const result = await git(runner, dir, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${revision}^{commit}`,
  ]);
  if (!succeeded(result)) {
    throw new UserError(
      `Input '${input}' must name a commit of this checkout, got '${revision}' ` +
        '(fetch it first, e.g. actions/checkout with fetch-depth: 0)',
    );
  }
  return result.stdout.trim();
}

/**
 * Checks `revision` out in a shared clone under `tempRoot`, runs `body` on the flake directory there
 * and removes the clone whatever happens.
 */
export async function withRevisionCheckout<T>(
  options: {
    runner: ProcessRunner;
    flakeDir: string;
    revision: string;
    input: string;
    tempRoot: string;
  },
  body: (checkout: Checkout) => Promise<T>,
): Promise<T> {
  const { runner, flakeDir, revision } = options;
  const commit = await resolveCommit(runner, flakeDir, revision, options.input);
  const top = await git(runner, flakeDir, ['rev-parse', '--show-toplevel']);
  if (!succeeded(top))
    throw new UserError(`${flakeDir} is not in a git repository: '${options.input}' needs one`);
  const repoDir = top.stdout.trim();
  const scratch = await mkdtemp(join(options.tempRoot, 'flakeflow-base-'));
  const checkoutDir = join(scratch, 'tree');
  try {
    // A shared clone, not `git worktree add`: a worktree writes lock files into the repository's own
    // .git while the working tree's flake is being copied into the store concurrently, and Nix then
    // fails on a file that vanished. The clone borrows the objects and writes only under scratch.
    const cloned = await git(runner, scratch, [
      'clone',
      '--quiet',
      '--shared',
      '--no-checkout',
      repoDir,
      checkoutDir,
    ]);
    if (!succeeded(cloned)) throw new Error(`git clone --shared failed: ${cloned.stderr.trim()}`);
    const checkedOut = await git(runner, checkoutDir, ['checkout', '--quiet', '--detach', commit]);
    if (!succeeded(checkedOut)) throw new Error(`git checkout ${commit} failed: ${checkedOut.stderr.trim()}`);
    const inside = relative(await realpath(repoDir), await realpath(flakeDir));
    return await body({ commit, flakeDir: join(checkoutDir, inside) });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

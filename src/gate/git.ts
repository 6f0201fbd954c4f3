import { oneLine } from '../core/errors.js';
import { type ProcessResult, type ProcessRunner, succeeded } from '../core/process.js';

/**
 * The few git questions the gate asks about the checkout. It only reads: it never changes the index,
 * HEAD or the work tree (fetching a missing base commit adds objects, nothing else).
 */
export class CheckoutGit {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly dir: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** The work tree's root, or undefined when `dir` is not in a git repository (or git is missing). */
  async topLevel(): Promise<string | undefined> {
    try {
      const result = await this.git(['rev-parse', '--show-toplevel']);
      return succeeded(result) ? result.stdout.trim() : undefined;
    } catch {
      return undefined;
    }
  }

  async resolveCommit(revision: string): Promise<string | undefined> {
    const result = await this.git([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}^{commit}`,
    ]);
    return succeeded(result) ? result.stdout.trim() : undefined;
  }

  /** Fetches one commit from `origin` without its history, as a shallow CI checkout lacks the base. */
  async fetchCommit(sha: string): Promise<ProcessResult> {
    return this.git(['fetch', '--no-tags', '--no-recurse-submodules', '--depth=1', 'origin', sha]);
  }

  /** A file's content at `revision`, or undefined when that commit has no such file. */
  async fileAt(revision: string, path: string): Promise<string | undefined> {
    const result = await this.git(['cat-file', 'blob', `${revision}:${path}`]);
    return succeeded(result) ? result.stdout : undefined;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.git(['merge-base', a, b]);
    return succeeded(result) ? result.stdout.trim() : undefined;
  }

  /** Parents as the commit object names them, which a shallow clone's `HEAD^1` cannot show. */
  async parents(revision: string): Promise<string[]> {
    const result = await this.git(['cat-file', 'commit', revision]);
    if (!succeeded(result)) return [];
    const header = result.stdout.split('\n\n')[0] ?? '';
    return [...header.matchAll(/^parent ([0-9a-f]{40,64})$/gm)].map((match) => match[1] as string);
  }

  /**
   * Files that differ between `from` and the work tree under `pathspec`, relative to the repository
   * root, renames as their new name and deletions left out.
   */
  async changedFiles(from: string, pathspec: string): Promise<string[]> {
    const result = await this.git([
      'diff',
      '--name-only',
      '-z',
      '--no-ext-diff',
      '--find-renames',
      '--diff-filter=d',
      '--no-relative',
      from,
      '--',
      pathspec,
    ]);
    if (!succeeded(result)) throw new Error(`git diff against ${from} failed: ${oneLine(result.stderr)}`);
    return splitNul(result.stdout);
  }

  /** The unified diff between `from` and the work tree, paths relative to the repository root. */
  async diff(from: string, pathspec: string): Promise<string> {
    const result = await this.git([
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--find-renames',
      '--no-relative',
      '-U3',
      from,
      '--',
      pathspec,
    ]);
    if (!succeeded(result)) throw new Error(`git diff against ${from} failed: ${oneLine(result.stderr)}`);
    return result.stdout;
  }

  /** Tracked and untracked-but-not-ignored files under `dir`, relative to it. */
  async listFiles(patterns: readonly string[] = []): Promise<string[] | undefined> {
    const result = await this.git([
      'ls-files',
      '-z',
      '--cached',
      '--others',
      '--exclude-standard',
      '--',
      ...patterns,
    ]);
    return succeeded(result) ? [...new Set(splitNul(result.stdout))] : undefined;
  }

  private git(args: readonly string[]): Promise<ProcessResult> {
    return this.runner.run('git', ['-c', 'core.quotepath=off', ...args], {
      cwd: this.dir,
      env: { GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      ...(this.signal ? { signal: this.signal } : {}),
    });
  }
}

function splitNul(output: string): string[] {
  return output.split('\0').filter((entry) => entry.length > 0);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringifyError, UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type ProcessRunner, type RunOptions, succeeded } from '../core/process.js';
import type { LockUpdateGitHub } from './github.js';

export interface LockCommit {
  /** The branch the pull request comes from. */
  branch: string;
  branchExists: boolean;
  /** The commit of the base branch the update goes on top of. */
  baseSha: string;
  /** flake.lock's path in the repository. */
  path: string;
  contents: string;
  headline: string;
  body: string;
}

/** Puts an updated flake.lock on a branch as one new commit on top of the base; returns the commit. */
export interface LockCommitter {
  commit(change: LockCommit): Promise<string>;
}

/**
 * `commit-mode: api`: GraphQL `createCommitOnBranch`, which GitHub signs for the token's identity.
 * It can only append to an existing branch, and an open pull request whose branch is reset to the
 * base even for a moment counts as merged on GitHub (its head is then an ancestor of the base). So
 * an existing branch gets its commit on a scratch branch made from the base, then moves to it in
 * one forced ref update.
 */
export class ApiCommitter implements LockCommitter {
  constructor(private readonly github: LockUpdateGitHub) {}

  async commit(change: LockCommit): Promise<string> {
    const message = {
      path: change.path,
      contents: change.contents,
      headline: change.headline,
      body: change.body,
    };
    if (!change.branchExists) {
      await this.github.createBranch(change.branch, change.baseSha);
      return this.github.commitFile({ ...message, branch: change.branch, expectedHeadOid: change.baseSha });
    }
    const scratch = `${change.branch}.flakeflow-next`;
    await this.startScratch(scratch, change.baseSha);
    try {
      const sha = await this.github.commitFile({
        ...message,
        branch: scratch,
        expectedHeadOid: change.baseSha,
      });
      await this.github.moveBranch(change.branch, sha);
      return sha;
    } finally {
      await this.github.deleteBranch(scratch);
    }
  }

  private async startScratch(scratch: string, baseSha: string): Promise<void> {
    try {
      await this.github.createBranch(scratch, baseSha);
    } catch (error) {
      // Left behind by a run that was cancelled half-way.
      if (!/already exists/i.test(stringifyError(error))) throw error;
      await this.github.moveBranch(scratch, baseSha);
    }
  }
}

export interface GitCommitterOptions {
  runner: ProcessRunner;
  /** The checkout: a git repository whose remote `origin` is the GitHub repository. */
  workspace: string;
  token: string;
  /** `GITHUB_SERVER_URL`, for the token's auth header. */
  serverUrl: string;
  logger: Logger;
  tempDir: string;
  signal?: AbortSignal;
}

const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

/**
 * `commit-mode: git`: a commit made with git plumbing (a private index, so the checkout's HEAD,
 * index and work tree stay as they are) and force-pushed to the branch on `origin`.
 */
export class GitCommitter implements LockCommitter {
  constructor(private readonly options: GitCommitterOptions) {}

  async commit(change: LockCommit): Promise<string> {
    const identity = await this.identity();
    const auth = await this.authorization();
    const git = (args: readonly string[], extra: Partial<RunOptions> = {}) => this.git(args, identity, extra);
    // Only the two commands that talk to the server see the token.
    const remote = (args: readonly string[]) => this.git(args, auth);
    await remote(['fetch', '--quiet', '--no-tags', 'origin', change.baseSha]).catch(() =>
      // Servers that refuse fetching by SHA still serve the branch itself.
      remote(['fetch', '--quiet', '--no-tags', 'origin']),
    );
    const scratch = await mkdtemp(join(this.options.tempDir, 'flakeflow-lock-index-'));
    try {
      const indexEnv = { GIT_INDEX_FILE: join(scratch, 'index') };
      const blob = await git(['hash-object', '-w', '--stdin'], { input: change.contents });
      await git(['read-tree', change.baseSha], { env: indexEnv });
      await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${change.path}`], { env: indexEnv });
      const tree = await git(['write-tree'], { env: indexEnv });
      const commit = await git([
        'commit-tree',
        tree,
        '-p',
        change.baseSha,
        '-m',
        change.headline,
        '-m',
        change.body,
      ]);
      await remote(['push', '--quiet', '--force', 'origin', `${commit}:refs/heads/${change.branch}`]);
      return commit;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The bot's identity, unless the checkout has one of its own. */
  private async identity(): Promise<Record<string, string>> {
    const name = await this.git(['config', 'user.name'], {}, {}, true);
    if (name) return {};
    return {
      GIT_AUTHOR_NAME: BOT.name,
      GIT_AUTHOR_EMAIL: BOT.email,
      GIT_COMMITTER_NAME: BOT.name,
      GIT_COMMITTER_EMAIL: BOT.email,
    };
  }

  /** Unless the checkout kept its own, the token as an HTTP header (never in argv). */
  private async authorization(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    const server = this.options.serverUrl.replace(/\/+$/, '');
    const header = `http.${server}/.extraheader`;
    // actions/checkout leaves its own header; a second one makes GitHub refuse the duplicate.
    const existing = await this.git(['config', '--get-all', header], {}, {}, true);
    if (!existing && this.options.token) {
      const basic = Buffer.from(`x-access-token:${this.options.token}`).toString('base64');
      this.options.logger.mask(basic);
      Object.assign(env, {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: header,
        GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
      });
    }
    return env;
  }

  private async git(
    args: readonly string[],
    env: Record<string, string>,
    extra: Partial<RunOptions> = {},
    optional = false,
  ): Promise<string> {
    const result = await this.options.runner.run('git', args, {
      cwd: this.options.workspace,
      signal: this.options.signal,
      ...extra,
      env: { ...env, ...(extra.env ?? {}), GIT_TERMINAL_PROMPT: '0' },
    });
    if (succeeded(result)) return result.stdout.trim();
    if (optional) return '';
    const reason = result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${result.exitCode}`;
    throw new UserError(`git ${args[0]} failed in ${this.options.workspace}: ${reason}`);
  }
}

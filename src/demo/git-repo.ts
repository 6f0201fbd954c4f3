import { type ProcessRunner, succeeded } from '../core/process.js';

/**
 * Commits made here carry a fixed author, committer and date, so the same content always gets
 * the same revision whoever runs it and whatever their git configuration says.
 */
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Alice Liddell',
  GIT_AUTHOR_EMAIL: 'alice@example.org',
  GIT_COMMITTER_NAME: 'Alice Liddell',
  GIT_COMMITTER_EMAIL: 'alice@example.org',
};
const NEUTRAL_CONFIG = ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

/** The date of a fixture repository's first commit; each later commit is an hour after the one before. */
export const FIRST_COMMIT_DATE = new Date('2024-06-01T09:00:00Z');

export async function git(
  runner: ProcessRunner,
  repoDir: string,
  args: readonly string[],
  date?: Date,
): Promise<string> {
  const when = date?.toISOString();
  const result = await runner.run('git', [...NEUTRAL_CONFIG, ...args], {
    cwd: repoDir,
    env: { ...IDENTITY, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
  });
  if (!succeeded(result)) {
    throw new Error(
      `git ${args.join(' ')} failed in ${repoDir}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout.trim();
}

export async function initRepository(runner: ProcessRunner, repoDir: string): Promise<void> {
  await git(runner, repoDir, ['init', '--quiet', '--initial-branch=main']);
}

/** Commits everything in the work tree as the repository's next commit and returns its revision. */
export async function commitAll(runner: ProcessRunner, repoDir: string, message: string): Promise<string> {
  await git(runner, repoDir, ['add', '--all']);
  const date = new Date(FIRST_COMMIT_DATE.getTime() + (await commitCount(runner, repoDir)) * 3_600_000);
  await git(runner, repoDir, ['commit', '--quiet', '--message', message], date);
  return git(runner, repoDir, ['rev-parse', 'HEAD']);
}

export async function commitCount(runner: ProcessRunner, repoDir: string): Promise<number> {
  const head = await runner.run('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: repoDir });
  return succeeded(head) ? Number(await git(runner, repoDir, ['rev-list', '--count', 'HEAD'])) : 0;
}

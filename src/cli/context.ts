import { DEFAULT_API_URL, type RunContext, type StateStore } from '../core/action.js';
import type { ProcessRunner } from '../core/process.js';

/** The event name actions see when the CLI runs them: not a pull request, not a push. */
export const LOCAL_EVENT = 'local';

/**
 * `owner/name` of a GitHub remote URL: `https://github.com/o/r(.git)`, `git@github.com:o/r.git`,
 * `ssh://git@github.com/o/r`; undefined for any other host.
 */
export function githubRepositoryOf(remoteUrl: string, serverUrl = 'https://github.com'): string | undefined {
  const host = new URL(serverUrl).host.replace(/\./g, '\\.');
  const patterns = [
    new RegExp(`^(?:https?|git)://(?:[^@/]+@)?${host}/([^/]+)/([^/]+?)(?:\\.git)?/?$`),
    new RegExp(`^ssh://(?:[^@/]+@)?${host}(?::\\d+)?/([^/]+)/([^/]+?)(?:\\.git)?/?$`),
    new RegExp(`^(?:[^@/]+@)?${host}:([^/]+)/([^/]+?)(?:\\.git)?/?$`),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(remoteUrl.trim());
    if (match) return `${match[1]}/${match[2]}`;
  }
  return undefined;
}

async function gitLine(runner: ProcessRunner, cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await runner.run('git', args, { cwd, timeoutMs: 10_000 });
    const line = result.stdout.trim();
    return result.exitCode === 0 && line ? line : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the runner would tell an action, read from the working directory: the checkout is the
 * current directory, the repository its `origin` on GitHub, the commit its HEAD.
 */
export async function localRunContext(options: {
  workspace: string;
  runnerTemp: string;
  runner: ProcessRunner;
  env?: NodeJS.ProcessEnv;
}): Promise<RunContext> {
  const { workspace, runner } = options;
  const env = options.env ?? process.env;
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
  const [remote, sha, ref] = await Promise.all([
    gitLine(runner, workspace, ['remote', 'get-url', 'origin']),
    gitLine(runner, workspace, ['rev-parse', '--verify', 'HEAD']),
    gitLine(runner, workspace, ['symbolic-ref', '--quiet', 'HEAD']),
  ]);
  const repository = remote ? githubRepositoryOf(remote, serverUrl) : undefined;
  return {
    workspace,
    runnerTemp: options.runnerTemp,
    eventName: LOCAL_EVENT,
    event: {},
    serverUrl,
    apiUrl: env.GITHUB_API_URL || DEFAULT_API_URL,
    ...(env.GITHUB_GRAPHQL_URL ? { graphqlUrl: env.GITHUB_GRAPHQL_URL } : {}),
    ...(repository ? { repository } : {}),
    ...(sha ? { sha } : {}),
    ...(ref ? { ref } : {}),
  };
}

/** The post step's state, kept in memory: the CLI runs the post step itself, in the same process. */
export class MemoryState implements StateStore {
  private readonly values = new Map<string, string>();
  save(name: string, value: string): void {
    this.values.set(name, value);
  }
  read(name: string): string | undefined {
    return this.values.get(name);
  }
}

/** Aborts on the first SIGINT or SIGTERM, as the runner cancels a job; a second one exits at once. */
export function interruptSignal(onInterrupt: (signal: NodeJS.Signals) => void): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const handle = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    onInterrupt(name);
    controller.abort(new Error(`cancelled by ${name}`));
  };
  const onInt = () => handle('SIGINT');
  const onTerm = () => handle('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

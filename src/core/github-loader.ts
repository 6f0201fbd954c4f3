import type { RunContext } from './action.js';
import type { GitHubClient, GitHubClientOptions } from './github.js';
import type { Logger } from './logger.js';

/**
 * A GitHub client, with octokit loaded only now: most runs of most actions never talk to GitHub, and
 * evaluating octokit and its plugins is a good part of an action's start-up. The webpack comment keeps
 * the module inside the one bundle file (no chunk beside it), evaluated on first use.
 */
export async function loadGitHubClient(options: GitHubClientOptions): Promise<GitHubClient> {
  const { createGitHubClient } = await import(/* webpackMode: "eager" */ './github.js');
  return createGitHubClient(options);
}

/** The client an action talks to its run's GitHub with: the API URLs the runner names, and `token`. */
export function loadRunGitHubClient(
  token: string,
  context: Pick<RunContext, 'apiUrl' | 'graphqlUrl'>,
  logger: Logger,
): Promise<GitHubClient> {
  return loadGitHubClient({
    token,
    apiUrl: context.apiUrl,
    ...(context.graphqlUrl ? { graphqlUrl: context.graphqlUrl } : {}),
    logger,
  });
}

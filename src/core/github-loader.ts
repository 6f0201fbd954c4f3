import type { GitHubClient, GitHubClientOptions } from './github.js';

/**
 * A GitHub client, with octokit loaded only now: most runs of most actions never talk to GitHub, and
 * evaluating octokit and its plugins is a good part of an action's start-up. The webpack comment keeps
 * the module inside the one bundle file (no chunk beside it), evaluated on first use.
 */
export async function loadGitHubClient(options: GitHubClientOptions): Promise<GitHubClient> {
  const { createGitHubClient } = await import(/* webpackMode: "eager" */ './github.js');
  return createGitHubClient(options);
}

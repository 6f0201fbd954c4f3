import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { DEFAULT_API_URL } from './action.js';
import type { Logger } from './logger.js';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** `GITHUB_API_URL` on the runner: https://api.github.com, or https://HOST/api/v3 on GHES. */
  apiUrl?: string;
  /** `GITHUB_GRAPHQL_URL` on the runner; derived from the API URL when absent. */
  graphqlUrl?: string;
  logger: Logger;
  /** How many times a failed or rate-limited request is retried. */
  retries?: number;
  /** Scales the retry back-off; tests shrink it, production keeps GitHub's one second. */
  retryBaseMs?: number;
}

/**
 * Octokit with retries (5xx, network faults) and throttling (primary and secondary rate limits,
 * honouring `retry-after`), pointed at the runner's API and GraphQL endpoints.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const retries = options.retries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const { logger } = options;
  const client = getOctokit(
    options.token,
    {
      baseUrl: (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ''),
      retry: { retries, retryAfterBaseValue: retryBaseMs },
      throttle: {
        retryAfterBaseValue: retryBaseMs,
        onRateLimit: (retryAfter: number, request: { method: string; url: string }, _octokit, retryCount) => {
          logger.warning(
            `GitHub rate limit reached for ${request.method} ${request.url}; retrying in ${retryAfter}s`,
          );
          return retryCount < retries;
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          request: { method: string; url: string },
          _octokit,
          retryCount,
        ) => {
          logger.warning(
            `GitHub secondary rate limit for ${request.method} ${request.url}; retrying in ${retryAfter}s`,
          );
          return retryCount < retries;
        },
      },
    },
    retry,
    throttling,
  );
  if (options.graphqlUrl) {
    client.graphql = client.graphql.defaults({ url: options.graphqlUrl });
  }
  return client;
}

export { parseRepository, type RepositoryRef } from './repository.js';

import { stringifyError, UserError } from '../core/errors.js';

/** What an octokit error says, whether it came from REST (a status) or GraphQL (typed errors). */
export interface GitHubErrorFacts {
  status?: number;
  /** GitHub's own message, without octokit's documentation link. */
  message: string;
  /** GraphQL error types, e.g. `UNPROCESSABLE`, `STALE_DATA`. */
  types: string[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

export function githubErrorFacts(error: unknown): GitHubErrorFacts {
  const fields = record(error);
  const status = typeof fields?.status === 'number' ? fields.status : undefined;
  const data = record(record(fields?.response)?.data);
  const graphqlErrors = Array.isArray(fields?.errors) ? (fields.errors as unknown[]).map(record) : [];
  const messages = graphqlErrors
    .map((entry) => entry?.message)
    .filter((message): message is string => typeof message === 'string');
  const types = graphqlErrors
    .map((entry) => entry?.type)
    .filter((type): type is string => typeof type === 'string');
  // REST validation errors put the reason in `errors[].message` ("A pull request already exists…").
  const details = (Array.isArray(data?.errors) ? (data.errors as unknown[]) : [])
    .map((entry) => record(entry)?.message)
    .filter((text): text is string => typeof text === 'string');
  const message =
    messages.length > 0
      ? messages.join('; ')
      : typeof data?.message === 'string'
        ? [data.message, ...details].join(': ')
        : stringifyError(error).replace(/ - https:\/\/docs\.github\.com\S*$/, '');
  return { ...(status !== undefined ? { status } : {}), message, types };
}

/**
 * Turns a GitHub refusal into a UserError saying what to change; `doing` says what flakeflow was
 * doing, e.g. "creating the pull request". Errors that are not GitHub's own are returned unchanged.
 */
export function explainGitHubError(error: unknown, doing: string, repository: string): Error {
  const facts = githubErrorFacts(error);
  const { status, message } = facts;
  if (/not permitted to create or approve pull requests/i.test(message)) {
    return new UserError(
      'GitHub Actions is not permitted to create pull requests in this repository: enable it in Settings → ' +
        'Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve pull requests", ' +
        'or pass a GitHub App or personal access token as `token`',
    );
  }
  if (status === 401) {
    return new UserError(
      `GitHub refused the token while ${doing} (401 ${message}): check the \`token\` input`,
    );
  }
  if (status === 403 && /rate limit/i.test(message)) {
    return new UserError(
      `GitHub's rate limit stopped ${doing} after retries (${message}): run the workflow later`,
    );
  }
  if (status === 403) {
    return new UserError(
      `The token may not do this while ${doing} (403 ${message}): give the job \`permissions: contents: write\` ` +
        'and `pull-requests: write` (and `actions: write` for `dispatch-workflow`)',
    );
  }
  if (status === 404) {
    return new UserError(
      `GitHub answered 404 while ${doing}: ${repository} does not exist or the token cannot see it (${message})`,
    );
  }
  if (status !== undefined && status >= 500) {
    return new UserError(
      `GitHub kept failing while ${doing} (${status} ${message}) after retries: run it again later`,
    );
  }
  if (status !== undefined || facts.types.length > 0) {
    return new UserError(`GitHub refused ${doing}: ${message}${status !== undefined ? ` (${status})` : ''}`);
  }
  return error instanceof Error ? error : new Error(stringifyError(error));
}

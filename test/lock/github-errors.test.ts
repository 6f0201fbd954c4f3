import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { explainGitHubError, githubErrorFacts } from '../../src/lock/github-errors.js';

/** Shaped like octokit's RequestError: a status and GitHub's JSON answer. */
function restError(status: number, message: string, errors?: { message: string }[]) {
  return Object.assign(new Error(`${message} - https://docs.github.com/rest`), {
    status,
    response: { data: { message, ...(errors ? { errors } : {}) } },
  });
}

const REPO = 'octo-org/homelab';

describe('explainGitHubError', () => {
  it.each([
    [
      restError(403, 'GitHub Actions is not permitted to create or approve pull requests.'),
      /^GitHub Actions is not permitted to create pull requests in this repository: enable it in Settings → Actions → General/,
    ],
    [
      restError(401, 'Bad credentials'),
      /^GitHub refused the token while creating the pull request \(401 Bad credentials\): check the `token` input$/,
    ],
    [
      restError(403, 'Resource not accessible by integration'),
      /give the job `permissions: contents: write` and `pull-requests: write`/,
    ],
    [
      restError(403, 'API rate limit exceeded for installation ID 1.'),
      /rate limit stopped creating the pull request after retries/,
    ],
    [
      restError(404, 'Not Found'),
      /^GitHub answered 404 while creating the pull request: octo-org\/homelab does not exist or the token cannot see it/,
    ],
    [
      restError(502, 'Server Error'),
      /kept failing while creating the pull request \(502 Server Error\) after retries/,
    ],
    [
      restError(422, 'Validation Failed', [{ message: 'A pull request already exists for octo-org:x.' }]),
      /^GitHub refused creating the pull request: Validation Failed: A pull request already exists for octo-org:x. \(422\)$/,
    ],
  ])('%s', (error, expected) => {
    const explained = explainGitHubError(error, 'creating the pull request', REPO);
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toMatch(expected);
  });

  it('keeps errors that are not GitHub’s as they are', () => {
    const bug = new TypeError('x is undefined');
    expect(explainGitHubError(bug, 'doing', REPO)).toBe(bug);
  });
});

describe('githubErrorFacts', () => {
  it('reads GraphQL errors with their types', () => {
    const error = Object.assign(new Error('Request failed'), {
      errors: [{ type: 'UNPROCESSABLE', message: 'Pull request is in clean status' }],
    });
    expect(githubErrorFacts(error)).toEqual({
      message: 'Pull request is in clean status',
      types: ['UNPROCESSABLE'],
    });
  });
});

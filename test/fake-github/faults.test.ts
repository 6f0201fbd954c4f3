import { describe, expect, it } from 'vitest';
import { PRIMARY_RATE_LIMIT_MESSAGE, SECONDARY_RATE_LIMIT_MESSAGE } from './faults.js';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'] });
const target = { owner: 'fleet', repo: 'infra' };
const repoPath = '/repos/fleet/infra';

describe('injected faults are retried and recovered from', () => {
  it.each([
    { kind: '500 twice', fault: { status: 500, times: 2 }, requests: 3, warning: undefined },
    { kind: '502', fault: { status: 502 }, requests: 2, warning: undefined },
    {
      kind: 'secondary rate limit (403, retry-after)',
      fault: { status: 403, rateLimit: 'secondary' as const, retryAfter: 2 },
      requests: 2,
      warning: 'secondary rate limit',
    },
    {
      kind: 'primary rate limit (403, x-ratelimit-remaining: 0)',
      fault: { status: 403, rateLimit: 'primary' as const },
      requests: 2,
      warning: 'rate limit reached',
    },
    {
      // plugin-retry retries a 429 itself (with its own back-off) before throttling sees it.
      kind: 'secondary rate limit (429)',
      fault: { status: 429, rateLimit: 'secondary' as const },
      requests: 2,
      warning: undefined,
    },
  ])('$kind', async ({ fault, requests, warning }) => {
    const injected = github.server.injectFault({ method: 'GET', path: repoPath, ...fault });
    const { data } = await github.client.rest.repos.get(target);
    expect(data.full_name).toBe('fleet/infra');
    expect(github.server.requestsMatching({ path: repoPath }).map((r) => r.faulted ?? false)).toEqual([
      ...Array(requests - 1).fill(true),
      false,
    ]);
    expect(injected.exhausted).toBe(true);
    if (warning) expect(github.logger.text()).toContain(warning);
  });

  it('retries a GraphQL mutation that met a 502 without committing twice', async () => {
    const repo = github.server.repo('fleet/infra');
    const tip = repo.seedBranch('lock-update', { 'flake.lock': 'old\n' });
    github.server.injectFault({ graphqlOperation: 'createCommitOnBranch', status: 502 });
    await github.client.graphql(
      `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }`,
      {
        input: {
          branch: { repositoryNameWithOwner: 'fleet/infra', branchName: 'lock-update' },
          message: { headline: 'update' },
          fileChanges: {
            additions: [{ path: 'flake.lock', contents: Buffer.from('new\n').toString('base64') }],
          },
          expectedHeadOid: tip,
        },
      },
    );
    expect(github.server.requestsMatching({ graphqlOperation: 'createCommitOnBranch' })).toHaveLength(2);
    expect(repo.git.commit(repo.branch('lock-update') as string)?.parents).toEqual([tip]);
  });
});

describe('faults that outlast the retries', () => {
  it('gives up on a server error after three retries with its status and message', async () => {
    github.server.injectFault({ path: repoPath, status: 500, times: Number.POSITIVE_INFINITY });
    await expect(github.client.rest.repos.get(target)).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('Server Error'),
    });
    expect(github.server.requestsMatching({ path: repoPath })).toHaveLength(4);
  });

  it('gives up on a persistent secondary rate limit with GitHub’s message', async () => {
    github.server.injectFault({
      path: repoPath,
      status: 403,
      rateLimit: 'secondary',
      times: Number.POSITIVE_INFINITY,
    });
    await expect(github.client.rest.repos.get(target)).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining(SECONDARY_RATE_LIMIT_MESSAGE),
    });
    expect(github.server.requestsMatching({ path: repoPath })).toHaveLength(4);
  });

  it('gives up on an exhausted primary rate limit, with the reset time in the headers', async () => {
    github.server.injectFault({
      path: repoPath,
      status: 403,
      rateLimit: 'primary',
      times: Number.POSITIVE_INFINITY,
    });
    const error = await github.client.rest.repos.get(target).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 403,
      message: expect.stringContaining(PRIMARY_RATE_LIMIT_MESSAGE),
      response: {
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': expect.stringMatching(/^\d+$/) },
      },
    });
  });

  it('does not retry a 404 (only the faulted path is affected)', async () => {
    github.server.injectFault({ path: repoPath, status: 404, message: 'Not Found' });
    await expect(github.client.rest.repos.get(target)).rejects.toMatchObject({ status: 404 });
    expect(github.server.requestsMatching({ path: repoPath })).toHaveLength(1);
    const { data } = await github.client.rest.git.getRef({ ...target, ref: 'heads/main' });
    expect(data.ref).toBe('refs/heads/main');
  });
});

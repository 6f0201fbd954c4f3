import { describe, expect, it } from 'vitest';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'], validateResponses: true });
const target = { owner: 'fleet', repo: 'infra' };

describe('pull requests', () => {
  it('opens a pull request, finds it by owner:branch, and updates it', async () => {
    const repo = github.server.repo('fleet/infra');
    const head = repo.seedBranch('lock-update', { 'flake.lock': '{}\n' });
    const { data: created } = await github.client.rest.pulls.create({
      ...target,
      head: 'lock-update',
      base: 'main',
      title: 'flake.lock: update',
      body: 'inputs changed',
    });
    expect(created).toMatchObject({ number: 1, state: 'open', mergeable_state: 'clean', changed_files: 1 });
    expect(created.head).toMatchObject({ ref: 'lock-update', sha: head });
    expect(repo.pullRequest(1)?.body).toBe('inputs changed');

    const { data: found } = await github.client.rest.pulls.list({
      ...target,
      head: 'fleet:lock-update',
      state: 'open',
    });
    expect(found.map((pull) => pull.number)).toEqual([1]);
    const { data: none } = await github.client.rest.pulls.list({ ...target, head: 'fleet:other' });
    expect(none).toEqual([]);

    const { data: updated } = await github.client.rest.pulls.update({
      ...target,
      pull_number: 1,
      body: 'new body',
    });
    expect(updated.body).toBe('new body');
    const { data: read } = await github.client.rest.pulls.get({ ...target, pull_number: 1 });
    expect(read.body).toBe('new body');
  });

  it('refuses a second pull request for the same branch, and one when Actions may not open them', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.seedBranch('lock-update', { 'flake.lock': '{}\n' });
    repo.openPullRequest({ head: 'lock-update', title: 'first' });
    await expect(
      github.client.rest.pulls.create({ ...target, head: 'lock-update', base: 'main', title: 'again' }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'A pull request already exists for fleet:lock-update.' }] } },
    });
    repo.settings.actionsCanCreatePullRequests = false;
    await expect(
      github.client.rest.pulls.create({ ...target, head: 'lock-update', base: 'main', title: 'again' }),
    ).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('GitHub Actions is not permitted to create or approve pull requests.'),
    });
  });

  it('pages through pull requests with octokit.paginate', async () => {
    const repo = github.server.repo('fleet/infra');
    for (let i = 0; i < 7; i++) {
      repo.seedBranch(`b${i}`, { [`f${i}`]: `${i}\n` });
      repo.openPullRequest({ head: `b${i}` });
    }
    const pulls = await github.client.paginate(github.client.rest.pulls.list, { ...target, per_page: 3 });
    expect(pulls.map((pull) => pull.number)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(github.server.requestsMatching({ operationId: 'pulls/list' }).map((r) => r.query.page)).toEqual([
      undefined,
      '2',
      '3',
    ]);
  });

  it('requests reviewers and merges with the chosen method', async () => {
    const repo = github.server.repo('fleet/infra');
    const head = repo.seedBranch('lock-update', { 'flake.lock': '{}\n' });
    const pull = repo.openPullRequest({ head: 'lock-update', title: 'flake.lock: update' });
    const { data: requested } = await github.client.rest.pulls.requestReviewers({
      ...target,
      pull_number: pull.number,
      reviewers: ['alice'],
    });
    expect(requested.requested_reviewers?.map((user) => user.login)).toEqual(['alice']);
    const { data: merge } = await github.client.rest.pulls.merge({
      ...target,
      pull_number: pull.number,
      merge_method: 'squash',
      sha: head,
    });
    expect(merge.merged).toBe(true);
    expect(repo.branch('main')).toBe(merge.sha);
    expect(repo.readFile('main', 'flake.lock')).toBe('{}\n');
    expect(repo.pullRequest(pull.number)).toMatchObject({
      merged: true,
      state: 'closed',
      mergeCommitSha: merge.sha,
    });
  });
});

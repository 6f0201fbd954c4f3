import { describe, expect, it } from 'vitest';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'], validateResponses: true });

const AUTO_MERGE_STATE = `
  query AutoMergeState($owner: String!, $name: String!, $number: Int!) {
    repository(owner: $owner, name: $name) {
      autoMergeAllowed
      defaultBranchRef { name target { oid } }
      pullRequest(number: $number) { id viewerCanEnableAutoMerge mergeStateStatus headRefOid }
    }
  }`;

const CREATE_COMMIT = `
  mutation CreateCommit($input: CreateCommitOnBranchInput!) {
    createCommitOnBranch(input: $input) { commit { oid url } }
  }`;

const ENABLE_AUTO_MERGE = `
  mutation EnableAutoMerge($pullRequestId: ID!) {
    enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: SQUASH }) {
      pullRequest { autoMergeRequest { mergeMethod } }
    }
  }`;

interface CommitResult {
  createCommitOnBranch: { commit: { oid: string; url: string } };
}

function lockPullRequest() {
  const repo = github.server.repo('fleet/infra');
  repo.seedBranch('lock-update', { 'flake.lock': '{}\n' });
  return repo.openPullRequest({ head: 'lock-update', title: 'flake.lock: update' });
}

describe('queries', () => {
  it('reads repository settings and a pull request, checked against the real schema', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.settings.allowAutoMerge = true;
    const pull = lockPullRequest();
    pull.mergeableState = 'blocked';
    const data = await github.client.graphql<{ repository: Record<string, unknown> }>(AUTO_MERGE_STATE, {
      owner: 'fleet',
      name: 'infra',
      number: pull.number,
    });
    expect(data.repository).toEqual({
      autoMergeAllowed: true,
      defaultBranchRef: { name: 'main', target: { oid: repo.branch('main') } },
      pullRequest: {
        id: pull.pullNodeId,
        viewerCanEnableAutoMerge: true,
        mergeStateStatus: 'BLOCKED',
        headRefOid: repo.branch('lock-update'),
      },
    });
    const request = github.server.requestsMatching({ graphqlOperation: 'AutoMergeState' })[0];
    expect(request?.graphql?.variables).toEqual({ owner: 'fleet', name: 'infra', number: pull.number });
  });

  it('resolves node ids and a file at an expression', async () => {
    const pull = lockPullRequest();
    const data = await github.client.graphql<{
      node: { number: number; headRefName: string };
      repository: { object: { text: string } };
    }>(
      `query($id: ID!) {
        node(id: $id) { ... on PullRequest { number headRefName } }
        repository(owner: "fleet", name: "infra") { object(expression: "lock-update:flake.lock") { ... on Blob { text } } }
      }`,
      { id: pull.pullNodeId },
    );
    expect(data).toEqual({
      node: { number: pull.number, headRefName: 'lock-update' },
      repository: { object: { text: '{}\n' } },
    });
  });
});

describe('createCommitOnBranch', () => {
  it('appends a commit with base64 additions and deletions to an existing branch', async () => {
    const repo = github.server.repo('fleet/infra');
    const tip = repo.seedBranch('lock-update', { 'flake.lock': 'old\n', 'stale.nix': 'x\n' });
    const data = await github.client.graphql<CommitResult>(CREATE_COMMIT, {
      input: {
        branch: { repositoryNameWithOwner: 'fleet/infra', branchName: 'lock-update' },
        message: { headline: 'flake.lock: update', body: 'nixpkgs: abc → def' },
        fileChanges: {
          additions: [{ path: 'flake.lock', contents: Buffer.from('new\n').toString('base64') }],
          deletions: [{ path: 'stale.nix' }],
        },
        expectedHeadOid: tip,
      },
    });
    const oid = data.createCommitOnBranch.commit.oid;
    expect(repo.branch('lock-update')).toBe(oid);
    expect(repo.files('lock-update')).toEqual({ 'README.md': '# infra\n', 'flake.lock': 'new\n' });
    expect(repo.git.commit(oid)).toMatchObject({
      parents: [tip],
      message: 'flake.lock: update\n\nnixpkgs: abc → def',
      verified: true,
      author: { name: 'github-actions[bot]' },
    });
    expect(data.createCommitOnBranch.commit.url).toBe(`https://github.com/fleet/infra/commit/${oid}`);
  });

  it('refuses a stale expectedHeadOid and leaves the branch alone', async () => {
    const repo = github.server.repo('fleet/infra');
    const tip = repo.seedBranch('lock-update', { 'flake.lock': 'old\n' });
    const stale = repo.branch('main') as string;
    await expect(
      github.client.graphql(CREATE_COMMIT, {
        input: {
          branch: { repositoryNameWithOwner: 'fleet/infra', branchName: 'lock-update' },
          message: { headline: 'x' },
          fileChanges: { additions: [{ path: 'a', contents: 'YQ==' }] },
          expectedHeadOid: stale,
        },
      }),
    ).rejects.toMatchObject({
      errors: [{ message: `Expected branch to point to "${stale}" but it did not. Pull and try again.` }],
    });
    expect(repo.branch('lock-update')).toBe(tip);
  });

  it('does not create branches', async () => {
    const main = github.server.repo('fleet/infra').branch('main');
    await expect(
      github.client.graphql(CREATE_COMMIT, {
        input: {
          branch: { repositoryNameWithOwner: 'fleet/infra', branchName: 'new-branch' },
          message: { headline: 'x' },
          expectedHeadOid: main,
        },
      }),
    ).rejects.toMatchObject({ errors: [{ type: 'NOT_FOUND' }] });
  });
});

describe('enablePullRequestAutoMerge', () => {
  it.each([
    { name: 'a clean pull request', setUp: () => {}, error: 'Pull request is in clean status' },
    {
      name: 'a repository without auto-merge',
      setUp: (repoAllows: { allowAutoMerge: boolean }) => {
        repoAllows.allowAutoMerge = false;
      },
      error: 'Auto merge is not allowed for this repository',
    },
    { name: 'a draft', draft: true, setUp: () => {}, error: 'Pull request is a draft' },
  ])('refuses $name with GitHub’s message', async ({ setUp, error, draft }) => {
    const repo = github.server.repo('fleet/infra');
    repo.settings.allowAutoMerge = true;
    setUp(repo.settings);
    repo.seedBranch('lock-update', { 'flake.lock': '{}\n' });
    const pull = repo.openPullRequest({ head: 'lock-update', draft });
    await expect(
      github.client.graphql(ENABLE_AUTO_MERGE, { pullRequestId: pull.pullNodeId }),
    ).rejects.toMatchObject({
      errors: [{ type: 'UNPROCESSABLE', message: error, path: ['enablePullRequestAutoMerge'] }],
    });
    expect(pull.autoMerge).toBeNull();
  });

  it('enables squash auto-merge on a blocked pull request, visible through REST too', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.settings.allowAutoMerge = true;
    const pull = lockPullRequest();
    pull.mergeableState = 'blocked';
    const data = await github.client.graphql(ENABLE_AUTO_MERGE, { pullRequestId: pull.pullNodeId });
    expect(data).toEqual({
      enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: 'SQUASH' } } },
    });
    const { data: rest } = await github.client.rest.pulls.get({
      owner: 'fleet',
      repo: 'infra',
      pull_number: pull.number,
    });
    expect(rest.auto_merge).toMatchObject({
      merge_method: 'squash',
      enabled_by: { login: 'github-actions[bot]' },
    });
    const merged = repo.completeAutoMerge(pull.number);
    expect(repo.branch('main')).toBe(merged);
    expect(repo.git.commit(merged)?.message).toBe('flake.lock: update (#1)');
    expect(repo.readFile('main', 'flake.lock')).toBe('{}\n');
  });
});

import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { GITHUB_BODY_LIMIT } from '../../src/core/markdown.js';
import { renderPullRequestBody } from '../../src/lock/body.js';
import { ApiCommitter } from '../../src/lock/commit.js';
import { LockUpdateGitHub } from '../../src/lock/github.js';
import { type PublishSettings, publishProposal, sameLock } from '../../src/lock/publish.js';
import { useFakeGitHub } from '../fake-github/index.js';
import { hugeUpdate } from './lock-fixtures.js';

const SLUG = 'octo-org/homelab';
const verification = {
  level: 'eval' as const,
  hosts: [{ host: 'media', kind: 'nixos' as const, status: 'changed' as const }],
};

describe('publishProposal in-process', () => {
  const github = useFakeGitHub({ repositories: [SLUG] });

  function setup(oldLock: string) {
    const repo = github.server.repo(SLUG);
    repo.commitFiles('main', { files: { 'flake.lock': oldLock }, message: 'lock' });
    const api = new LockUpdateGitHub(
      github.client,
      { owner: 'octo-org', repo: 'homelab' },
      new RecordingLogger(),
    );
    const settings: PublishSettings = {
      base: 'main',
      baseSha: repo.branch('main') as string,
      baseLockText: oldLock,
      lockPath: 'flake.lock',
      commitMessage: 'flake.lock: update',
      labels: [],
      reviewers: [],
      assignees: [],
      autoMerge: false,
      mergeMethod: 'squash',
      draftOnFailure: false,
    };
    const warnings: string[] = [];
    const context = {
      github: api,
      committer: new ApiCommitter(api),
      logger: new RecordingLogger(),
      warn: (message: string) => warnings.push(message),
    };
    return { repo, api, settings, context, warnings };
  }

  it('opens a 300-input update with a body GitHub accepts, where the full detail would be refused', async () => {
    const update = hugeUpdate(300, verification);
    const { repo, settings, context } = setup(update.oldLockText);
    const body = renderPullRequestBody({ proposal: update, stale: [], flakePath: '.' });
    expect(
      renderPullRequestBody({ proposal: update, stale: [], flakePath: '.' }, Number.POSITIVE_INFINITY).length,
    ).toBeGreaterThan(GITHUB_BODY_LIMIT);
    const publication = await publishProposal(update, body, settings, context);
    expect(publication.operation).toBe('created');
    expect(repo.pullRequest(1)?.body).toBe(body);
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(sameLock(repo.readFile('flakeflow/lock-update', 'flake.lock'), update.newLockText)).toBe(true);
  });

  it('uses the pull request a lost-then-retried create already opened', async () => {
    const update = hugeUpdate(2, verification);
    const { repo, api } = setup(update.oldLockText);
    repo.seedBranch('flakeflow/lock-update', { 'flake.lock': update.newLockText });
    const first = await api.createPull({
      branch: 'flakeflow/lock-update',
      base: 'main',
      title: 't',
      body: 'b',
      draft: false,
    });
    const again = await api.createPull({
      branch: 'flakeflow/lock-update',
      base: 'main',
      title: 't',
      body: 'b',
      draft: false,
    });
    expect(again.number).toBe(first.number);
    expect(repo.pullRequests()).toHaveLength(1);
  });

  it('compares locks by content, not by whitespace or key order', () => {
    expect(sameLock('{"a": 1, "b": [1, 2]}', '{\n  "b": [1, 2],\n  "a": 1\n}\n')).toBe(true);
    expect(sameLock('{"a": 1}', '{"a": 2}')).toBe(false);
    expect(sameLock(undefined, '{}')).toBe(false);
  });
});

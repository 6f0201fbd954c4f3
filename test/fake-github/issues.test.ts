import { describe, expect, it } from 'vitest';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'], validateResponses: true });
const target = { owner: 'fleet', repo: 'infra' };

describe('issues', () => {
  it('opens, labels, assigns and closes an issue', async () => {
    const issues = github.client.rest.issues;
    const { data: issue } = await issues.create({
      ...target,
      title: 'Backup failed on web',
      labels: ['alert'],
    });
    expect(issue).toMatchObject({ number: 1, state: 'open', labels: [{ name: 'alert' }] });
    const { data: labels } = await issues.addLabels({ ...target, issue_number: 1, labels: ['backup'] });
    expect(labels.map((label) => label.name)).toEqual(['alert', 'backup']);
    const { data: assigned } = await issues.addAssignees({
      ...target,
      issue_number: 1,
      assignees: ['alice'],
    });
    expect(assigned.assignees?.map((user) => user.login)).toEqual(['alice']);
    const { data: closed } = await issues.update({
      ...target,
      issue_number: 1,
      state: 'closed',
      state_reason: 'completed',
    });
    expect(closed).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const { data: read } = await issues.get({ ...target, issue_number: 1 });
    expect(read.closed_at).not.toBeNull();
    expect(github.server.repo('fleet/infra').issue(1)).toMatchObject({
      labels: ['alert', 'backup'],
      state: 'closed',
    });
  });

  it('shares numbers with pull requests and filters by label and state', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.openIssue({ title: 'one', labels: ['alert'] });
    repo.seedBranch('b', { x: 'x' });
    repo.openPullRequest({ head: 'b', labels: ['alert'] });
    repo.openIssue({ title: 'three', labels: ['other'] });
    const { data } = await github.client.rest.issues.listForRepo({
      ...target,
      labels: 'alert',
      state: 'all',
    });
    expect(data.map((issue) => [issue.number, issue.pull_request !== undefined])).toEqual([
      [2, true],
      [1, false],
    ]);
    const all = await github.client.paginate(github.client.rest.issues.listForRepo, {
      ...target,
      per_page: 1,
    });
    expect(all.map((issue) => issue.number)).toEqual([3, 2, 1]);
  });

  it('finds a label by name, 404s a missing one, and creates it', async () => {
    const issues = github.client.rest.issues;
    await expect(issues.getLabel({ ...target, name: 'flake lock' })).rejects.toMatchObject({ status: 404 });
    await issues.createLabel({ ...target, name: 'flake lock', color: '5319e7', description: 'lock updates' });
    const { data } = await issues.getLabel({ ...target, name: 'flake lock' });
    expect(data).toMatchObject({ name: 'flake lock', color: '5319e7', description: 'lock updates' });
    await expect(issues.createLabel({ ...target, name: 'Flake Lock' })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }] } },
    });
  });
});

describe('issue comments', () => {
  it('creates, lists, edits and deletes a comment', async () => {
    const repo = github.server.repo('fleet/infra');
    const issue = repo.openIssue({ title: 'report' });
    const issues = github.client.rest.issues;
    const { data: comment } = await issues.createComment({
      ...target,
      issue_number: issue.number,
      body: 'first',
    });
    await issues.updateComment({ ...target, comment_id: comment.id, body: 'edited' });
    const { data: listed } = await issues.listComments({ ...target, issue_number: issue.number });
    expect(listed.map((c) => c.body)).toEqual(['edited']);
    expect(listed[0]?.user?.login).toBe('github-actions[bot]');
    await issues.deleteComment({ ...target, comment_id: comment.id });
    expect(repo.commentsOn(issue.number)).toEqual([]);
  });

  it('rejects a body over 65,536 characters as GitHub does', async () => {
    const issue = github.server.repo('fleet/infra').openIssue({ title: 'report' });
    await expect(
      github.client.rest.issues.createComment({
        ...target,
        issue_number: issue.number,
        body: 'x'.repeat(65_537),
      }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'body is too long (maximum is 65536 characters)' }] } },
    });
  });
});

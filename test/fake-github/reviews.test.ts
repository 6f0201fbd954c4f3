import { describe, expect, it } from 'vitest';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'], validateResponses: true });
const target = { owner: 'fleet', repo: 'infra' };

function openHumanPullRequest() {
  const repo = github.server.repo('fleet/infra');
  repo.seedBranch('hosts', {
    'hosts/web.nix': 'services.nginx.enable = true;\nnetworking.hostName = "web";\n',
  });
  return repo.openPullRequest({
    head: 'hosts',
    title: 'Add web host',
    user: github.server.state.user('alice'),
  });
}

describe('pull request reviews', () => {
  it('posts a review with a suggestion and reads its comments back', async () => {
    const pull = openHumanPullRequest();
    const suggestion = '```suggestion\nservices.nginx.enable = false;\n```';
    const { data: review } = await github.client.rest.pulls.createReview({
      ...target,
      pull_number: pull.number,
      event: 'COMMENT',
      body: 'deadnix and statix findings',
      comments: [{ path: 'hosts/web.nix', line: 1, side: 'RIGHT', body: `statix: W04\n\n${suggestion}` }],
    });
    expect(review.state).toBe('COMMENTED');
    const stored = github.server.repo('fleet/infra').reviewsOn(pull.number)[0];
    expect(stored?.comments[0]?.suggestion).toBe('services.nginx.enable = false;\n');
    const { data: comments } = await github.client.rest.pulls.listCommentsForReview({
      ...target,
      pull_number: pull.number,
      review_id: review.id,
    });
    expect(comments.map((comment) => [comment.path, comment.line])).toEqual([['hosts/web.nix', 1]]);
    const { data: reviews } = await github.client.rest.pulls.listReviews({
      ...target,
      pull_number: pull.number,
    });
    expect(reviews.map((r) => r.id)).toEqual([review.id]);
  });

  it('rewrites a review body and deletes one of its comments, as a tool replacing its old review does', async () => {
    const pull = openHumanPullRequest();
    const { data: review } = await github.client.rest.pulls.createReview({
      ...target,
      pull_number: pull.number,
      event: 'COMMENT',
      body: 'flakeflow gate: 2 suggestions',
      comments: [
        { path: 'hosts/web.nix', line: 1, body: 'first' },
        { path: 'hosts/web.nix', line: 2, body: 'second' },
      ],
    });
    const { data: comments } = await github.client.rest.pulls.listCommentsForReview({
      ...target,
      pull_number: pull.number,
      review_id: review.id,
    });
    await github.client.rest.pulls.deleteReviewComment({ ...target, comment_id: comments[0]?.id as number });
    const { data: updated } = await github.client.rest.pulls.updateReview({
      ...target,
      pull_number: pull.number,
      review_id: review.id,
      body: 'Superseded by a newer flakeflow gate review.',
    });
    expect(updated.body).toBe('Superseded by a newer flakeflow gate review.');
    const stored = github.server.repo('fleet/infra').reviewsOn(pull.number)[0];
    expect(stored?.comments.map((comment) => comment.body)).toEqual(['second']);
    await expect(
      github.client.rest.pulls.deleteReviewComment({ ...target, comment_id: comments[0]?.id as number }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('rejects comments outside the pull request, and dismisses an approval', async () => {
    const pull = openHumanPullRequest();
    await expect(
      github.client.rest.pulls.createReview({
        ...target,
        pull_number: pull.number,
        event: 'COMMENT',
        comments: [{ path: 'README.md', line: 1, body: 'not in the diff' }],
      }),
    ).rejects.toMatchObject({ status: 422, response: { data: { errors: ['Path could not be resolved'] } } });
    const { data: approval } = await github.client.rest.pulls.createReview({
      ...target,
      pull_number: pull.number,
      event: 'APPROVE',
    });
    const { data: dismissed } = await github.client.rest.pulls.dismissReview({
      ...target,
      pull_number: pull.number,
      review_id: approval.id,
      message: 'stale',
    });
    expect(dismissed.state).toBe('DISMISSED');
  });

  it('keeps one pending review per user and deletes it', async () => {
    const pull = openHumanPullRequest();
    const { data: pending } = await github.client.rest.pulls.createReview({
      ...target,
      pull_number: pull.number,
    });
    expect(pending.state).toBe('PENDING');
    await expect(
      github.client.rest.pulls.createReview({ ...target, pull_number: pull.number }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: ['User can only have one pending review per pull request'] } },
    });
    await github.client.rest.pulls.deletePendingReview({
      ...target,
      pull_number: pull.number,
      review_id: pending.id,
    });
    expect(github.server.repo('fleet/infra').reviewsOn(pull.number)).toEqual([]);
  });

  it('refuses an approval by Actions when the repository forbids it', async () => {
    const pull = openHumanPullRequest();
    github.server.repo('fleet/infra').settings.actionsCanCreatePullRequests = false;
    await expect(
      github.client.rest.pulls.createReview({ ...target, pull_number: pull.number, event: 'APPROVE' }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringContaining('not permitted to approve') });
  });
});

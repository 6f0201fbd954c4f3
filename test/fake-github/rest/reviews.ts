import { GitHubError, notFound } from '../state/errors.js';
import type { PullRequestRecord, ReviewCommentRecord, ReviewRecord, ReviewState } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId, GITHUB_ACTIONS_BOT } from '../state/state.js';
import { noContent, numberParam, ok, paginate, pullParam, type RestCall, type RestHandlers } from './call.js';
import { authorAssociation } from './issues.js';
import { iso, type Links, renderUser } from './render.js';

type ReviewEvent = 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT';

interface ReviewCommentInput {
  path: string;
  body: string;
  position?: number;
  line?: number;
  side?: 'LEFT' | 'RIGHT';
  start_line?: number;
}

const EVENT_STATE: Record<ReviewEvent, ReviewState> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
};

/** Pull request reviews and their comments (suggestions are comments with a ```suggestion block). */
export const reviewHandlers: RestHandlers = {
  'pulls/list-reviews': (call) => {
    const pull = pullParam(call);
    const reviews = call.repo
      .reviewsOn(pull.number)
      .filter((review) => review.state !== 'PENDING' || review.user.login === call.state.actor.login);
    return paginate(
      call,
      reviews.map((review) => renderReview(call.links, call.repo, review)),
    );
  },

  'pulls/get-review': (call) => ok(renderReview(call.links, call.repo, reviewParam(call))),

  'pulls/create-review': (call) => {
    const pull = pullParam(call);
    const body = call.body as {
      commit_id?: string;
      body?: string;
      event?: ReviewEvent;
      comments?: ReviewCommentInput[];
    };
    const actor = call.state.actor;
    if (body.event) checkSubmission(call, pull, body.event, body.body, body.comments?.length ?? 0);
    if (
      !body.event &&
      call.repo.reviewsOn(pull.number).some((r) => r.state === 'PENDING' && r.user.login === actor.login)
    ) {
      throw unprocessableEntity('User can only have one pending review per pull request');
    }
    const id = call.state.nextId();
    const commitId = body.commit_id ?? pull.head.sha;
    const review: ReviewRecord = {
      id,
      nodeId: encodeNodeId('PRR', ['review', call.repo.id, id]),
      pullNumber: pull.number,
      user: actor,
      body: body.body ?? '',
      state: body.event ? EVENT_STATE[body.event] : 'PENDING',
      commitId,
      submittedAt: body.event ? call.state.now() : null,
      comments: [],
    };
    review.comments = (body.comments ?? []).map((input) => reviewComment(call, pull, review, input));
    call.repo.reviews.push(review);
    return ok(renderReview(call.links, call.repo, review));
  },

  'pulls/submit-review': (call) => {
    const pull = pullParam(call);
    const review = reviewParam(call);
    const body = call.body as { body?: string; event: ReviewEvent };
    if (review.state !== 'PENDING') throw unprocessableEntity('Can not submit a non-pending review');
    checkSubmission(call, pull, body.event, body.body ?? review.body, review.comments.length);
    review.body = body.body ?? review.body;
    review.state = EVENT_STATE[body.event];
    review.submittedAt = call.state.now();
    return ok(renderReview(call.links, call.repo, review));
  },

  'pulls/dismiss-review': (call) => {
    const review = reviewParam(call);
    if (review.state !== 'APPROVED' && review.state !== 'CHANGES_REQUESTED') {
      throw unprocessableEntity(
        `Can not dismiss a ${review.state.toLowerCase().replace('_', ' ')} pull request review`,
      );
    }
    review.state = 'DISMISSED';
    review.dismissalMessage = (call.body as { message: string }).message;
    return ok(renderReview(call.links, call.repo, review));
  },

  'pulls/delete-pending-review': (call) => {
    const review = reviewParam(call);
    if (review.state !== 'PENDING')
      throw unprocessableEntity('Can not delete a non-pending pull request review');
    call.repo.reviews.splice(call.repo.reviews.indexOf(review), 1);
    return ok(renderReview(call.links, call.repo, review));
  },

  'pulls/update-review': (call) => {
    const review = reviewParam(call);
    review.body = (call.body as { body: string }).body;
    return ok(renderReview(call.links, call.repo, review));
  },

  'pulls/delete-review-comment': (call) => {
    const id = numberParam(call, 'comment_id');
    const review = call.repo.reviews.find((candidate) =>
      candidate.comments.some((comment) => comment.id === id),
    );
    if (!review) throw notFound();
    review.comments = review.comments.filter((comment) => comment.id !== id);
    return noContent();
  },

  'pulls/list-comments-for-review': (call) => {
    const review = reviewParam(call);
    return paginate(
      call,
      review.comments.map((comment) => renderReviewComment(call.links, call.repo, comment)),
    );
  },

  'pulls/list-review-comments': (call) => {
    const pull = pullParam(call);
    const comments = call.repo
      .reviewsOn(pull.number)
      .filter((review) => review.state !== 'PENDING')
      .flatMap((review) => review.comments);
    return paginate(
      call,
      comments.map((comment) => renderReviewComment(call.links, call.repo, comment)),
    );
  },
};

/** GitHub answers review rule breaches with "Unprocessable Entity" and the reason in `errors`. */
function unprocessableEntity(reason: string): GitHubError {
  return new GitHubError(422, 'Unprocessable Entity', { errors: [reason], graphqlType: 'UNPROCESSABLE' });
}

function checkSubmission(
  call: RestCall,
  pull: PullRequestRecord,
  event: ReviewEvent,
  body: string | undefined,
  commentCount: number,
): void {
  const actor = call.state.actor;
  const ownPull = pull.user.login.toLowerCase() === actor.login.toLowerCase();
  if (
    event === 'APPROVE' &&
    actor.login === GITHUB_ACTIONS_BOT.login &&
    !call.repo.settings.actionsCanCreatePullRequests
  ) {
    throw new GitHubError(422, 'GitHub Actions is not permitted to approve pull requests.');
  }
  if (event === 'APPROVE' && ownPull) throw unprocessableEntity('Can not approve your own pull request');
  if (event === 'REQUEST_CHANGES' && ownPull)
    throw unprocessableEntity('Can not request changes on your own pull request');
  if (event !== 'APPROVE' && !body && commentCount === 0) {
    throw unprocessableEntity(`Body is required when event is ${event}`);
  }
}

function reviewParam(call: RestCall): ReviewRecord {
  const id = numberParam(call, 'review_id');
  const review = call.repo.reviews.find(
    (r) => r.id === id && r.pullNumber === numberParam(call, 'pull_number'),
  );
  if (!review) throw notFound();
  return review;
}

function reviewComment(
  call: RestCall,
  pull: PullRequestRecord,
  review: ReviewRecord,
  input: ReviewCommentInput,
): ReviewCommentRecord {
  const repo = call.repo;
  const baseSha = repo.resolve(pull.base.ref);
  const mergeBase = repo.git.mergeBase(baseSha, pull.head.sha) ?? baseSha;
  const changed = repo.git.diffTrees(
    repo.git.commit(mergeBase)?.tree,
    repo.git.commit(review.commitId)?.tree as string,
  );
  if (!changed.some((diff) => diff.path === input.path))
    throw unprocessableEntity('Path could not be resolved');
  const text = repo.readFile(review.commitId, input.path) ?? '';
  const lineCount = text.replace(/\n$/, '').split('\n').length;
  const line = input.line ?? input.position ?? null;
  if (line !== null && (line < 1 || line > lineCount))
    throw unprocessableEntity('Line could not be resolved');
  const id = call.state.nextId();
  return {
    id,
    nodeId: encodeNodeId('PRRC', ['review-comment', repo.id, id]),
    reviewId: review.id,
    pullNumber: pull.number,
    path: input.path,
    line: input.line ?? null,
    startLine: input.start_line ?? null,
    side: input.side ?? 'RIGHT',
    position: input.position ?? null,
    body: input.body,
    commitId: review.commitId,
    user: call.state.actor,
    createdAt: call.state.now(),
    suggestion: /```suggestion\r?\n([\s\S]*?)```/.exec(input.body)?.[1],
  };
}

export function renderReview(links: Links, repo: FakeRepository, review: ReviewRecord) {
  const pullApi = links.repoApi(repo, `/pulls/${review.pullNumber}`);
  const html = links.repoHtml(repo, `/pull/${review.pullNumber}#pullrequestreview-${review.id}`);
  return {
    id: review.id,
    node_id: review.nodeId,
    user: renderUser(links, review.user),
    body: review.body,
    state: review.state,
    html_url: html,
    pull_request_url: pullApi,
    _links: { html: { href: html }, pull_request: { href: pullApi } },
    ...(review.submittedAt ? { submitted_at: iso(review.submittedAt) } : {}),
    commit_id: review.commitId,
    author_association: authorAssociation(repo, review.user.login),
  };
}

export function renderReviewComment(links: Links, repo: FakeRepository, comment: ReviewCommentRecord) {
  const url = links.repoApi(repo, `/pulls/comments/${comment.id}`);
  const html = links.repoHtml(repo, `/pull/${comment.pullNumber}#discussion_r${comment.id}`);
  const pullApi = links.repoApi(repo, `/pulls/${comment.pullNumber}`);
  return {
    url,
    pull_request_review_id: comment.reviewId,
    id: comment.id,
    node_id: comment.nodeId,
    diff_hunk: `@@ -1 +1 @@`,
    path: comment.path,
    // The deprecated diff position; a line-based comment gets its line, which is right for one-hunk diffs.
    position: comment.position ?? comment.line ?? 1,
    original_position: comment.position ?? comment.line ?? 1,
    commit_id: comment.commitId,
    original_commit_id: comment.commitId,
    user: renderUser(links, comment.user),
    body: comment.body,
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.createdAt),
    html_url: html,
    pull_request_url: pullApi,
    author_association: authorAssociation(repo, comment.user.login),
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullApi } },
    start_line: comment.startLine,
    original_start_line: comment.startLine,
    start_side: comment.startLine === null ? null : comment.side,
    line: comment.line,
    original_line: comment.line,
    side: comment.side,
    subject_type: 'line',
  };
}

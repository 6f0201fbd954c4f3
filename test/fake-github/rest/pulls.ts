import { checkBodyLength, customValidation, GitHubError, validationFailed } from '../state/errors.js';
import type { MergeMethod, PullRequestRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { GITHUB_ACTIONS_BOT } from '../state/state.js';
import { created, ok, paginate, pullParam, queryString, type RestHandlers } from './call.js';
import { authorAssociation } from './issues.js';
import { iso, type Links, renderLabel, renderRepository, renderUser } from './render.js';
import { renderCommit, renderDiffEntry } from './repos.js';

/** The message GitHub gives when the repository forbids Actions to open or approve pull requests. */
export const ACTIONS_CANNOT_CREATE_PULLS =
  'GitHub Actions is not permitted to create or approve pull requests.';

/** Pull requests: list, create, read, update, merge, files, commits and review requests. */
export const pullHandlers: RestHandlers = {
  'pulls/list': (call) => {
    const state = (queryString(call, 'state') ?? 'open') as 'open' | 'closed' | 'all';
    const head = queryString(call, 'head');
    const base = queryString(call, 'base');
    const direction = queryString(call, 'direction') ?? 'desc';
    // GitHub ignores a `head` filter without the `owner:` prefix, a classic trap worth reproducing.
    // (`null`: another owner's branch, which no pull request here has as head.)
    const headBranch = head?.includes(':') ? (headFilter(call.repo, head) ?? null) : undefined;
    const pulls = call.repo
      .pullRequests({ state, base })
      .filter((pull) => headBranch === undefined || pull.head.ref === headBranch)
      .sort((a, b) => (direction === 'asc' ? a.number - b.number : b.number - a.number));
    return paginate(
      call,
      pulls.map((pull) => renderPullRequest(call.links, call.repo, pull, { simple: true })),
    );
  },

  'pulls/create': (call) => {
    const body = call.body as {
      title?: string;
      head: string;
      base: string;
      body?: string;
      draft?: boolean;
      maintainer_can_modify?: boolean;
    };
    const repo = call.repo;
    if (call.state.actor.login === GITHUB_ACTIONS_BOT.login && !repo.settings.actionsCanCreatePullRequests) {
      throw new GitHubError(403, ACTIONS_CANNOT_CREATE_PULLS);
    }
    const head = headFilter(repo, body.head);
    const headSha = head === undefined ? undefined : repo.branch(head);
    const baseSha = repo.branch(body.base);
    if (!baseSha) throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    if (!headSha || head === undefined) {
      throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' });
    }
    if (repo.pullRequests({ head, base: body.base }).length > 0) {
      throw customValidation('PullRequest', `A pull request already exists for ${repo.owner.login}:${head}.`);
    }
    if (repo.git.commitsBetween(baseSha, headSha).length === 0) {
      throw customValidation('PullRequest', `No commits between ${body.base} and ${head}`);
    }
    if (!body.title)
      throw validationFailed({ resource: 'PullRequest', field: 'title', code: 'missing_field' });
    checkBodyLength('PullRequest', body.body);
    const pull = repo.openPullRequest({
      head,
      base: body.base,
      title: body.title,
      body: body.body ?? null,
      draft: body.draft,
    });
    pull.maintainerCanModify = body.maintainer_can_modify ?? false;
    return created(renderPullRequest(call.links, repo, pull));
  },

  'pulls/get': (call) => ok(renderPullRequest(call.links, call.repo, pullParam(call))),

  'pulls/update': (call) => {
    const pull = pullParam(call);
    const body = call.body as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string };
    checkBodyLength('PullRequest', body.body);
    if (body.base !== undefined) {
      if (!call.repo.branch(body.base)) {
        throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
      }
      pull.base.ref = body.base;
    }
    if (body.title !== undefined) pull.title = body.title;
    if (body.body !== undefined) pull.body = body.body;
    if (body.state !== undefined && body.state !== pull.state) {
      if (pull.merged) throw customValidation('PullRequest', 'Cannot reopen a merged pull request', 'state');
      pull.state = body.state;
      pull.closedAt = body.state === 'closed' ? call.state.now() : null;
    }
    pull.updatedAt = call.state.now();
    return ok(renderPullRequest(call.links, call.repo, pull));
  },

  'pulls/merge': (call) => {
    const pull = pullParam(call);
    const body = (call.body ?? {}) as {
      commit_title?: string;
      commit_message?: string;
      sha?: string;
      merge_method?: MergeMethod;
    };
    const sha = call.repo.mergePullRequest(pull.number, {
      method: body.merge_method,
      title: body.commit_title,
      message: body.commit_message,
      sha: body.sha,
    });
    return ok({ sha, merged: true, message: 'Pull Request successfully merged' });
  },

  'pulls/list-files': (call) => {
    const pull = pullParam(call);
    const { repo } = call;
    const baseSha = repo.resolve(pull.base.ref);
    const mergeBase = repo.git.mergeBase(baseSha, pull.head.sha) ?? baseSha;
    const diffs = repo.git.diffTrees(
      repo.git.commit(mergeBase)?.tree,
      repo.git.commit(pull.head.sha)?.tree as string,
    );
    return paginate(
      call,
      diffs.map((diff) => renderDiffEntry(call.links, repo, pull.head.sha, diff)),
    );
  },

  'pulls/list-commits': (call) => {
    const pull = pullParam(call);
    const shas = call.repo.git.commitsBetween(call.repo.resolve(pull.base.ref), pull.head.sha);
    return paginate(
      call,
      shas.map((sha) => renderCommit(call, sha)),
    );
  },

  'pulls/list-requested-reviewers': (call) => {
    const pull = pullParam(call);
    return ok({
      users: pull.requestedReviewers.map((login) => renderUser(call.links, call.state.user(login))),
      teams: [],
    });
  },

  'pulls/request-reviewers': (call) => {
    const pull = pullParam(call);
    const reviewers = (call.body as { reviewers?: string[] }).reviewers ?? [];
    if (reviewers.some((login) => login.toLowerCase() === pull.user.login.toLowerCase())) {
      throw new GitHubError(422, 'Review cannot be requested from pull request author.');
    }
    for (const login of reviewers)
      if (!pull.requestedReviewers.includes(login)) pull.requestedReviewers.push(login);
    return created(renderPullRequest(call.links, call.repo, pull, { simple: true }));
  },

  'pulls/remove-requested-reviewers': (call) => {
    const pull = pullParam(call);
    const removed = new Set((call.body as { reviewers: string[] }).reviewers);
    pull.requestedReviewers = pull.requestedReviewers.filter((login) => !removed.has(login));
    return ok(renderPullRequest(call.links, call.repo, pull, { simple: true }));
  },
};

/** `owner:branch` → `branch` when the owner is this repository's (forks are not modelled). */
function headFilter(repo: FakeRepository, head: string): string | undefined {
  if (!head.includes(':')) return head;
  const [owner, branch] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
  return owner.toLowerCase() === repo.owner.login.toLowerCase() ? branch : undefined;
}

function mergeable(pull: PullRequestRecord): boolean | null {
  if (pull.merged || pull.state === 'closed') return null;
  if (pull.mergeableState === 'unknown') return null;
  return pull.mergeableState !== 'dirty';
}

export function renderPullRequest(
  links: Links,
  repo: FakeRepository,
  pull: PullRequestRecord,
  options: { simple?: boolean } = {},
) {
  const api = links.repoApi(repo, `/pulls/${pull.number}`);
  const issueApi = links.repoApi(repo, `/issues/${pull.number}`);
  const html = links.repoHtml(repo, `/pull/${pull.number}`);
  const assignees = pull.assignees.map((login) => renderUser(links, repo.state.user(login)));
  const branchEnd = (ref: string, sha: string) => ({
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: renderUser(links, repo.owner),
    repo: renderRepository(links, repo),
  });
  const baseSha = repo.branch(pull.base.ref) ?? pull.head.sha;
  const simple = {
    url: api,
    id: pull.pullId,
    node_id: pull.pullNodeId,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueApi,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: links.repoApi(repo, '/pulls/comments{/number}'),
    comments_url: `${issueApi}/comments`,
    statuses_url: links.repoApi(repo, `/statuses/${pull.head.sha}`),
    number: pull.number,
    state: pull.state,
    locked: pull.locked,
    title: pull.title,
    user: renderUser(links, pull.user),
    body: pull.body,
    labels: pull.labels.flatMap((name) => {
      const label = repo.label(name);
      return label ? [renderLabel(links, repo, label)] : [];
    }),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(pull.createdAt),
    updated_at: iso(pull.updatedAt),
    closed_at: iso(pull.closedAt),
    merged_at: iso(pull.mergedAt),
    merge_commit_sha: pull.mergeCommitSha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: pull.requestedReviewers.map((login) => renderUser(links, repo.state.user(login))),
    requested_teams: [],
    head: branchEnd(pull.head.ref, pull.head.sha),
    base: branchEnd(pull.base.ref, baseSha),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: issueApi },
      comments: { href: `${issueApi}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: links.repoApi(repo, '/pulls/comments{/number}') },
      commits: { href: `${api}/commits` },
      statuses: { href: links.repoApi(repo, `/statuses/${pull.head.sha}`) },
    },
    author_association: authorAssociation(repo, pull.user.login),
    auto_merge: pull.autoMerge && {
      enabled_by: renderUser(links, pull.autoMerge.enabledBy),
      merge_method: pull.autoMerge.mergeMethod,
      commit_title: pull.autoMerge.commitTitle,
      commit_message: pull.autoMerge.commitMessage,
    },
    draft: pull.draft,
  };
  if (options.simple) return simple;
  const baseForDiff = repo.git.mergeBase(baseSha, pull.head.sha) ?? baseSha;
  const diffs = repo.git.diffTrees(
    repo.git.commit(baseForDiff)?.tree,
    repo.git.commit(pull.head.sha)?.tree as string,
  );
  const entries = diffs.map((diff) => renderDiffEntry(links, repo, pull.head.sha, diff));
  return {
    ...simple,
    merged: pull.merged,
    mergeable: mergeable(pull),
    rebaseable: mergeable(pull),
    mergeable_state: pull.draft && pull.state === 'open' ? 'draft' : pull.mergeableState,
    merged_by: pull.mergedBy && renderUser(links, pull.mergedBy),
    comments: repo.commentsOn(pull.number).length,
    review_comments: repo.reviewsOn(pull.number).reduce((sum, review) => sum + review.comments.length, 0),
    maintainer_can_modify: pull.maintainerCanModify,
    commits: repo.git.commitsBetween(baseSha, pull.head.sha).length,
    additions: entries.reduce((sum, entry) => sum + entry.additions, 0),
    deletions: entries.reduce((sum, entry) => sum + entry.deletions, 0),
    changed_files: entries.length,
  };
}

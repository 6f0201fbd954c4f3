import { checkBodyLength, GitHubError, notFound } from '../state/errors.js';
import type { IssueCommentRecord, IssueOrPull } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId } from '../state/state.js';
import {
  created,
  issueParam,
  noContent,
  numberParam,
  ok,
  paginate,
  queryString,
  type RestCall,
  type RestHandlers,
} from './call.js';
import { iso, type Links, renderLabel, renderUser } from './render.js';

type LabelsInput = string[] | { labels?: Array<string | { name: string }> } | Array<{ name: string }>;

/** Issues (which pull requests also are), their comments, labels and assignees. */
export const issueHandlers: RestHandlers = {
  'issues/create': (call) => {
    const body = call.body as {
      title: string | number;
      body?: string;
      labels?: LabelsInput;
      assignees?: string[];
    };
    checkBodyLength('Issue', body.body);
    const issue = call.repo.openIssue({
      title: String(body.title),
      body: body.body ?? null,
      labels: labelNames(body.labels),
      assignees: body.assignees,
    });
    return created(renderIssue(call.links, call.repo, issue));
  },

  'issues/get': (call) => ok(renderIssue(call.links, call.repo, issueParam(call))),

  'issues/update': (call) => {
    const issue = issueParam(call);
    const body = call.body as {
      title?: string | number;
      body?: string | null;
      state?: 'open' | 'closed';
      state_reason?: 'completed' | 'not_planned' | 'reopened' | null;
      labels?: LabelsInput;
      assignees?: string[];
    };
    checkBodyLength('Issue', body.body);
    if (body.title !== undefined) issue.title = String(body.title);
    if (body.body !== undefined) issue.body = body.body;
    if (body.state !== undefined) setIssueState(call, issue, body.state, body.state_reason);
    if (body.labels !== undefined) {
      issue.labels = [];
      call.repo.addLabels(issue, labelNames(body.labels));
    }
    if (body.assignees !== undefined) issue.assignees = [...body.assignees];
    issue.updatedAt = call.state.now();
    return ok(renderIssue(call.links, call.repo, issue));
  },

  'issues/list-for-repo': (call) => {
    const state = queryString(call, 'state') ?? 'open';
    const labels = (queryString(call, 'labels') ?? '').split(',').filter(Boolean);
    const assignee = queryString(call, 'assignee');
    const creator = queryString(call, 'creator');
    const direction = queryString(call, 'direction') ?? 'desc';
    const sort = queryString(call, 'sort') ?? 'created';
    const issues = call.repo
      .issues()
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) =>
        labels.every((name) => issue.labels.some((l) => l.toLowerCase() === name.toLowerCase())),
      )
      .filter((issue) => matchesAssignee(issue, assignee))
      .filter((issue) => !creator || issue.user.login.toLowerCase() === creator.toLowerCase())
      .sort((a, b) => {
        const key = (issue: IssueOrPull) =>
          sort === 'updated'
            ? issue.updatedAt.getTime()
            : sort === 'comments'
              ? commentCount(call.repo, issue)
              : issue.number;
        return direction === 'asc' ? key(a) - key(b) : key(b) - key(a);
      });
    return paginate(
      call,
      issues.map((issue) => renderIssue(call.links, call.repo, issue)),
    );
  },

  'issues/add-assignees': (call) => {
    const issue = issueParam(call);
    for (const login of (call.body as { assignees?: string[] }).assignees ?? []) {
      if (!issue.assignees.includes(login)) issue.assignees.push(login);
    }
    return created(renderIssue(call.links, call.repo, issue));
  },

  'issues/remove-assignees': (call) => {
    const issue = issueParam(call);
    const removed = new Set((call.body as { assignees?: string[] }).assignees ?? []);
    issue.assignees = issue.assignees.filter((login) => !removed.has(login));
    return ok(renderIssue(call.links, call.repo, issue));
  },

  'issues/list-labels-on-issue': (call) => paginate(call, renderIssueLabels(call, issueParam(call))),

  'issues/add-labels': (call) => {
    const issue = issueParam(call);
    call.repo.addLabels(issue, labelNames(call.body as LabelsInput));
    return ok(renderIssueLabels(call, issue));
  },

  'issues/set-labels': (call) => {
    const issue = issueParam(call);
    issue.labels = [];
    call.repo.addLabels(issue, labelNames(call.body as LabelsInput));
    return ok(renderIssueLabels(call, issue));
  },

  'issues/remove-label': (call) => {
    const issue = issueParam(call);
    const name = (call.params.name as string).toLowerCase();
    if (!issue.labels.some((label) => label.toLowerCase() === name)) {
      throw new GitHubError(404, 'Label does not exist');
    }
    issue.labels = issue.labels.filter((label) => label.toLowerCase() !== name);
    return ok(renderIssueLabels(call, issue));
  },

  'issues/list-labels-for-repo': (call) =>
    paginate(
      call,
      [...call.repo.labels.values()].map((label) => renderLabel(call.links, call.repo, label)),
    ),

  'issues/get-label': (call) => {
    const label = call.repo.label(call.params.name as string);
    if (!label) throw notFound();
    return ok(renderLabel(call.links, call.repo, label));
  },

  'issues/create-label': (call) => {
    const body = call.body as { name: string; color?: string; description?: string };
    return created(renderLabel(call.links, call.repo, call.repo.createLabel(body)));
  },

  'issues/list-comments': (call) => {
    const issue = issueParam(call);
    const since = queryString(call, 'since');
    const comments = call.repo
      .commentsOn(issue.number)
      .filter((comment) => !since || comment.updatedAt >= new Date(since));
    return paginate(
      call,
      comments.map((comment) => renderComment(call.links, call.repo, comment)),
    );
  },

  'issues/create-comment': (call) => {
    const issue = issueParam(call);
    const { body } = call.body as { body: string };
    checkBodyLength('IssueComment', body);
    const now = call.state.now();
    const id = call.state.nextId();
    const comment: IssueCommentRecord = {
      id,
      nodeId: encodeNodeId('IC', ['comment', call.repo.id, id]),
      issueNumber: issue.number,
      body,
      user: call.state.actor,
      createdAt: now,
      updatedAt: now,
    };
    call.repo.comments.push(comment);
    return created(renderComment(call.links, call.repo, comment));
  },

  'issues/get-comment': (call) => ok(renderComment(call.links, call.repo, commentParam(call))),

  'issues/update-comment': (call) => {
    const comment = commentParam(call);
    const { body } = call.body as { body: string };
    checkBodyLength('IssueComment', body);
    comment.body = body;
    comment.updatedAt = call.state.now();
    return ok(renderComment(call.links, call.repo, comment));
  },

  'issues/delete-comment': (call) => {
    const comment = commentParam(call);
    call.repo.comments.splice(call.repo.comments.indexOf(comment), 1);
    return noContent();
  },
};

function setIssueState(
  call: RestCall,
  issue: IssueOrPull,
  state: 'open' | 'closed',
  reason: 'completed' | 'not_planned' | 'reopened' | null | undefined,
): void {
  if (issue.state === state) return;
  if (issue.kind === 'pull' && issue.merged) throw new GitHubError(422, 'Validation Failed');
  issue.state = state;
  issue.closedAt = state === 'closed' ? call.state.now() : null;
  issue.stateReason = state === 'closed' ? (reason ?? 'completed') : 'reopened';
}

function matchesAssignee(issue: IssueOrPull, assignee: string | undefined): boolean {
  if (assignee === undefined) return true;
  if (assignee === 'none') return issue.assignees.length === 0;
  if (assignee === '*') return issue.assignees.length > 0;
  return issue.assignees.some((login) => login.toLowerCase() === assignee.toLowerCase());
}

function commentParam(call: RestCall): IssueCommentRecord {
  const id = numberParam(call, 'comment_id');
  const comment = call.repo.comments.find((c) => c.id === id);
  if (!comment) throw notFound();
  return comment;
}

export function labelNames(input: LabelsInput | undefined): string[] {
  if (!input) return [];
  const list = Array.isArray(input) ? input : (input.labels ?? []);
  return list.map((label) => (typeof label === 'string' ? label : label.name));
}

function renderIssueLabels(call: RestCall, issue: IssueOrPull) {
  return issue.labels.flatMap((name) => {
    const label = call.repo.label(name);
    return label ? [renderLabel(call.links, call.repo, label)] : [];
  });
}

function commentCount(repo: FakeRepository, issue: IssueOrPull): number {
  return repo.commentsOn(issue.number).length;
}

export function renderIssue(links: Links, repo: FakeRepository, issue: IssueOrPull) {
  const api = links.repoApi(repo, `/issues/${issue.number}`);
  const isPull = issue.kind === 'pull';
  const assignees = issue.assignees.map((login) => renderUser(links, repo.state.user(login)));
  return {
    id: issue.id,
    node_id: issue.nodeId,
    url: api,
    repository_url: links.repoApi(repo),
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: links.repoHtml(repo, `/${isPull ? 'pull' : 'issues'}/${issue.number}`),
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: renderUser(links, issue.user),
    labels: issue.labels.flatMap((name) => {
      const label = repo.label(name);
      return label ? [renderLabel(links, repo, label)] : [];
    }),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: issue.locked,
    active_lock_reason: null,
    comments: commentCount(repo, issue),
    ...(isPull
      ? {
          pull_request: {
            url: links.repoApi(repo, `/pulls/${issue.number}`),
            html_url: links.repoHtml(repo, `/pull/${issue.number}`),
            diff_url: links.repoHtml(repo, `/pull/${issue.number}.diff`),
            patch_url: links.repoHtml(repo, `/pull/${issue.number}.patch`),
            merged_at: iso(issue.mergedAt),
          },
          draft: issue.draft,
        }
      : {}),
    closed_at: iso(issue.closedAt),
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    author_association: authorAssociation(repo, issue.user.login),
    reactions: {
      url: `${api}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0,
    },
  };
}

export function renderComment(links: Links, repo: FakeRepository, comment: IssueCommentRecord) {
  const isPull = repo.issue(comment.issueNumber)?.kind === 'pull';
  return {
    id: comment.id,
    node_id: comment.nodeId,
    url: links.repoApi(repo, `/issues/comments/${comment.id}`),
    html_url: links.repoHtml(
      repo,
      `/${isPull ? 'pull' : 'issues'}/${comment.issueNumber}#issuecomment-${comment.id}`,
    ),
    issue_url: links.repoApi(repo, `/issues/${comment.issueNumber}`),
    body: comment.body,
    user: renderUser(links, comment.user),
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.updatedAt),
    author_association: authorAssociation(repo, comment.user.login),
  };
}

export function authorAssociation(repo: FakeRepository, login: string): 'OWNER' | 'CONTRIBUTOR' | 'NONE' {
  if (login.toLowerCase() === repo.owner.login.toLowerCase()) return 'OWNER';
  return login.endsWith('[bot]') ? 'NONE' : 'CONTRIBUTOR';
}

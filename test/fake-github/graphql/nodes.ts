import { iso, type Links } from '../rest/render.js';
import type { Actor, IssueOrPull, LabelRecord, PullRequestRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { decodeNodeId, encodeNodeId, type FakeState } from '../state/state.js';

/**
 * GraphQL objects are plain objects whose fields are values or resolver functions `(args, context)`;
 * a field the fake does not model is simply absent, and the strict field resolver reports it.
 */
export interface GraphQLContext {
  state: FakeState;
  links: Links;
}

export type GraphQLObject = { __typename: string } & Record<string, unknown>;

/** A GitHub error for GraphQL, with GitHub's `type` (NOT_FOUND, UNPROCESSABLE, …). */
export class GitHubGraphQLError extends Error {
  constructor(
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = 'GitHubGraphQLError';
  }
}

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const cursor = (index: number) => Buffer.from(`cursor:v2:${index}`).toString('base64');
const indexOf = (value: string) => Number(Buffer.from(value, 'base64').toString('utf8').split(':').pop());

/** A Relay connection with GitHub's pagination rules (first or last required, at most 100). */
export function connection(name: string, items: GraphQLObject[], args: PageArgs) {
  if (args.first == null && args.last == null) {
    throw new GitHubGraphQLError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
      'MISSING_PAGINATION_BOUNDARIES',
    );
  }
  for (const [bound, value] of [
    ['first', args.first],
    ['last', args.last],
  ] as const) {
    if (value != null && value > 100) {
      throw new GitHubGraphQLError(
        `Requesting ${value} records on the \`${name}\` connection exceeds the \`${bound}\` limit of 100 records.`,
        'EXCESSIVE_PAGINATION',
      );
    }
  }
  let start = args.after ? indexOf(args.after) + 1 : 0;
  let end = args.before ? indexOf(args.before) : items.length;
  if (args.first != null) end = Math.min(end, start + args.first);
  if (args.last != null) start = Math.max(start, end - args.last);
  const page = items.slice(start, end).map((node, offset) => ({ node, cursor: cursor(start + offset) }));
  return {
    totalCount: items.length,
    nodes: page.map((edge) => edge.node),
    edges: page,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: page[0]?.cursor ?? null,
      endCursor: page.at(-1)?.cursor ?? null,
    },
  };
}

export function actorNode(ctx: GraphQLContext, actor: Actor): GraphQLObject {
  return {
    __typename: actor.type,
    id: actor.nodeId,
    databaseId: actor.id,
    login: actor.login,
    name: actor.name,
    url: ctx.links.html(`/${actor.login}`),
    avatarUrl: `https://avatars.githubusercontent.com/u/${actor.id}?v=4`,
  };
}

export function repositoryNode(ctx: GraphQLContext, repo: FakeRepository): GraphQLObject {
  const s = repo.settings;
  return {
    __typename: 'Repository',
    id: repo.nodeId,
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.fullName,
    owner: actorNode(ctx, repo.owner),
    url: ctx.links.repoHtml(repo),
    isPrivate: s.private,
    isArchived: s.archived,
    visibility: s.private ? 'PRIVATE' : 'PUBLIC',
    autoMergeAllowed: s.allowAutoMerge,
    squashMergeAllowed: s.allowSquashMerge,
    mergeCommitAllowed: s.allowMergeCommit,
    rebaseMergeAllowed: s.allowRebaseMerge,
    deleteBranchOnMerge: s.deleteBranchOnMerge,
    defaultBranchRef: () => refNode(ctx, repo, `refs/heads/${repo.defaultBranch}`),
    ref: ({ qualifiedName }: { qualifiedName: string }) =>
      refNode(ctx, repo, qualifiedName.startsWith('refs/') ? qualifiedName : `refs/heads/${qualifiedName}`),
    object: ({ oid, expression }: { oid?: string; expression?: string }) =>
      gitObjectNode(ctx, repo, oid, expression),
    pullRequest: ({ number }: { number: number }) => {
      const pull = repo.pullRequest(number);
      if (!pull) {
        throw new GitHubGraphQLError(
          `Could not resolve to a PullRequest with the number of ${number}.`,
          'NOT_FOUND',
        );
      }
      return pullRequestNode(ctx, repo, pull);
    },
    pullRequests: (
      args: PageArgs & { states?: string[]; headRefName?: string; baseRefName?: string; labels?: string[] },
    ) =>
      connection(
        'pullRequests',
        repo
          .pullRequests({ state: 'all', head: args.headRefName, base: args.baseRefName })
          .filter((pull) => !args.states || args.states.includes(pullState(pull)))
          .filter((pull) => !args.labels || args.labels.some((label) => pull.labels.includes(label)))
          .map((pull) => pullRequestNode(ctx, repo, pull)),
        args,
      ),
    issue: ({ number }: { number: number }) => {
      const issue = repo.issue(number);
      if (issue?.kind !== 'issue') {
        throw new GitHubGraphQLError(
          `Could not resolve to an Issue with the number of ${number}.`,
          'NOT_FOUND',
        );
      }
      return issueNode(ctx, repo, issue);
    },
    label: ({ name }: { name: string }) => {
      const label = repo.label(name);
      return label ? labelNode(label) : null;
    },
    labels: (args: PageArgs) => connection('labels', [...repo.labels.values()].map(labelNode), args),
  };
}

export function refNode(ctx: GraphQLContext, repo: FakeRepository, name: string): GraphQLObject | null {
  const sha = repo.git.ref(name);
  if (!sha) return null;
  const prefix = name.replace(/[^/]+$/, '').match(/^refs\/[^/]+\//)?.[0] ?? 'refs/';
  return {
    __typename: 'Ref',
    id: encodeNodeId('REF', ['ref', repo.id, name]),
    name: name.slice(prefix.length),
    prefix,
    target: () => gitObjectNode(ctx, repo, sha),
    repository: () => repositoryNode(ctx, repo),
    associatedPullRequests: (args: PageArgs & { states?: string[] }) =>
      connection(
        'associatedPullRequests',
        repo
          .pullRequests({ state: 'all', head: name.slice(prefix.length) })
          .filter((pull) => !args.states || args.states.includes(pullState(pull)))
          .map((pull) => pullRequestNode(ctx, repo, pull)),
        args,
      ),
  };
}

/** A commit, tree or blob by oid, or by an expression such as `main:flake.lock`. */
export function gitObjectNode(
  ctx: GraphQLContext,
  repo: FakeRepository,
  oid?: string,
  expression?: string,
): GraphQLObject | null {
  let sha = oid;
  if (expression !== undefined) {
    const [rev, path] = expression.includes(':') ? expression.split(/:(.*)/s) : [expression, undefined];
    const commit = repo.git.resolveCommit(rev ?? '');
    if (!commit) return null;
    sha = path === undefined ? commit : repo.git.entryAt(repo.git.commit(commit)?.tree as string, path)?.sha;
  }
  const object = sha ? repo.git.object(sha) : undefined;
  if (!sha || !object) return null;
  const id = encodeNodeId(object.type === 'commit' ? 'C' : object.type === 'tree' ? 'T' : 'B', [
    object.type,
    repo.id,
    sha,
  ]);
  const base = { id, oid: sha, abbreviatedOid: sha.slice(0, 7), repository: () => repositoryNode(ctx, repo) };
  if (object.type === 'blob') {
    const isBinary = object.content.includes(0);
    return {
      __typename: 'Blob',
      ...base,
      byteSize: object.content.length,
      isBinary,
      isTruncated: false,
      text: isBinary ? null : object.content.toString('utf8'),
    };
  }
  if (object.type === 'tree') {
    return {
      __typename: 'Tree',
      ...base,
      entries: object.entries.map((entry) => ({
        __typename: 'TreeEntry',
        name: entry.name,
        path: entry.name,
        mode: Number.parseInt(entry.mode, 8),
        type: entry.type,
        oid: entry.sha,
        object: () => gitObjectNode(ctx, repo, entry.sha),
      })),
    };
  }
  const [headline, ...rest] = object.message.split('\n');
  const gitActor = (p: typeof object.author) => ({
    __typename: 'GitActor',
    name: p.name,
    email: p.email,
    date: iso(p.date),
    user: null,
  });
  return {
    __typename: 'Commit',
    ...base,
    message: object.message,
    messageHeadline: headline,
    messageBody: rest.join('\n').replace(/^\n/, ''),
    url: ctx.links.repoHtml(repo, `/commit/${sha}`),
    commitUrl: ctx.links.repoHtml(repo, `/commit/${sha}`),
    authoredDate: iso(object.author.date),
    committedDate: iso(object.committer.date),
    author: gitActor(object.author),
    committer: gitActor(object.committer),
    tree: () => gitObjectNode(ctx, repo, object.tree),
    parents: (args: PageArgs) =>
      connection(
        'parents',
        object.parents.map((parent) => gitObjectNode(ctx, repo, parent) as GraphQLObject),
        args,
      ),
    file: ({ path }: { path: string }) => {
      const entry = repo.git.entryAt(object.tree, path);
      if (!entry) return null;
      return {
        __typename: 'TreeEntry',
        name: path.split('/').pop(),
        path,
        mode: Number.parseInt(entry.mode, 8),
        type: entry.type,
        oid: entry.sha,
        object: () => gitObjectNode(ctx, repo, entry.sha),
      };
    },
  };
}

export function pullState(pull: PullRequestRecord): 'OPEN' | 'CLOSED' | 'MERGED' {
  return pull.merged ? 'MERGED' : pull.state === 'open' ? 'OPEN' : 'CLOSED';
}

export function pullRequestNode(
  ctx: GraphQLContext,
  repo: FakeRepository,
  pull: PullRequestRecord,
): GraphQLObject {
  const mergeStateStatus = pull.draft && pull.state === 'open' ? 'DRAFT' : pull.mergeableState.toUpperCase();
  const open = pull.state === 'open';
  return {
    ...issueFields(ctx, repo, pull),
    __typename: 'PullRequest',
    id: pull.pullNodeId,
    databaseId: pull.pullId,
    url: ctx.links.repoHtml(repo, `/pull/${pull.number}`),
    permalink: ctx.links.repoHtml(repo, `/pull/${pull.number}`),
    state: pullState(pull),
    isDraft: pull.draft,
    merged: pull.merged,
    mergedAt: iso(pull.mergedAt),
    mergeCommit: () => (pull.mergeCommitSha ? gitObjectNode(ctx, repo, pull.mergeCommitSha) : null),
    mergeable:
      pull.mergeableState === 'dirty'
        ? 'CONFLICTING'
        : pull.mergeableState === 'unknown'
          ? 'UNKNOWN'
          : 'MERGEABLE',
    mergeStateStatus,
    headRefName: pull.head.ref,
    headRefOid: pull.head.sha,
    headRef: () => refNode(ctx, repo, `refs/heads/${pull.head.ref}`),
    baseRefName: pull.base.ref,
    baseRefOid: repo.branch(pull.base.ref) ?? null,
    baseRef: () => refNode(ctx, repo, `refs/heads/${pull.base.ref}`),
    viewerCanEnableAutoMerge:
      repo.settings.allowAutoMerge &&
      open &&
      !pull.draft &&
      !pull.autoMerge &&
      !['CLEAN', 'UNSTABLE'].includes(mergeStateStatus),
    viewerCanDisableAutoMerge: open && pull.autoMerge !== null,
    autoMergeRequest: pull.autoMerge && {
      __typename: 'AutoMergeRequest',
      mergeMethod: pull.autoMerge.mergeMethod.toUpperCase(),
      commitHeadline: pull.autoMerge.commitTitle,
      commitBody: pull.autoMerge.commitMessage,
      enabledAt: iso(pull.autoMerge.enabledAt),
      enabledBy: actorNode(ctx, pull.autoMerge.enabledBy),
      authorEmail: null,
      pullRequest: () => pullRequestNode(ctx, repo, pull),
    },
  };
}

export function issueNode(ctx: GraphQLContext, repo: FakeRepository, issue: IssueOrPull): GraphQLObject {
  return {
    ...issueFields(ctx, repo, issue),
    __typename: 'Issue',
    url: ctx.links.repoHtml(repo, `/issues/${issue.number}`),
    state: issue.state.toUpperCase(),
  };
}

function issueFields(ctx: GraphQLContext, repo: FakeRepository, issue: IssueOrPull) {
  return {
    id: issue.nodeId,
    databaseId: issue.id,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    closed: issue.state === 'closed',
    closedAt: iso(issue.closedAt),
    createdAt: iso(issue.createdAt),
    updatedAt: iso(issue.updatedAt),
    author: actorNode(ctx, issue.user),
    repository: () => repositoryNode(ctx, repo),
    labels: (args: PageArgs) =>
      connection(
        'labels',
        issue.labels.flatMap((name) => {
          const label = repo.label(name);
          return label ? [labelNode(label)] : [];
        }),
        args,
      ),
  };
}

export function labelNode(label: LabelRecord): GraphQLObject {
  return {
    __typename: 'Label',
    id: label.nodeId,
    name: label.name,
    color: label.color,
    description: label.description,
    isDefault: label.default,
  };
}

/** `node(id:)`: the ids the fake hands out carry the key to find their object again. */
export function nodeById(ctx: GraphQLContext, id: string): GraphQLObject | null {
  const key = decodeNodeId(id);
  if (!key) return null;
  const [kind, repoId, ...rest] = key;
  if (kind === 'user') {
    const user = ctx.state.findUser(String(repoId));
    return user ? actorNode(ctx, user) : null;
  }
  const repo = ctx.state.repositoryById(Number(repoId));
  if (!repo) return null;
  switch (kind) {
    case 'repository':
      return repositoryNode(ctx, repo);
    case 'pull': {
      const pull = repo.pullRequest(Number(rest[0]));
      return pull ? pullRequestNode(ctx, repo, pull) : null;
    }
    case 'issue': {
      const issue = repo.issue(Number(rest[0]));
      return issue ? issueNode(ctx, repo, issue) : null;
    }
    case 'label': {
      const label = repo.label(String(rest[0]));
      return label ? labelNode(label) : null;
    }
    case 'ref':
      return refNode(ctx, repo, String(rest[0]));
    case 'commit':
    case 'tree':
    case 'blob':
      return gitObjectNode(ctx, repo, String(rest[0]));
    default:
      return null;
  }
}

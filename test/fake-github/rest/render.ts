import type { Actor, LabelRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';

/** Where rendered resources point: the fake's API URL and GitHub's web URL. */
export class Links {
  constructor(
    readonly apiUrl: string,
    readonly htmlUrl: string,
  ) {}

  api(path: string): string {
    return `${this.apiUrl}${path}`;
  }

  html(path: string): string {
    return `${this.htmlUrl}${path}`;
  }

  repoApi(repo: FakeRepository, path = ''): string {
    return this.api(`/repos/${repo.fullName}${path}`);
  }

  repoHtml(repo: FakeRepository, path = ''): string {
    return this.html(`/${repo.fullName}${path}`);
  }
}

/** GitHub's timestamp format: seconds, UTC, `Z`. */
export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

export function renderUser(links: Links, actor: Actor) {
  const api = links.api(`/users/${actor.login}`);
  return {
    login: actor.login,
    id: actor.id,
    node_id: actor.nodeId,
    avatar_url: `https://avatars.githubusercontent.com/u/${actor.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: links.html(
      `/${actor.type === 'Bot' ? `apps/${actor.login.replace(/\[bot\]$/, '')}` : actor.login}`,
    ),
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: actor.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

const REPO_URL_TEMPLATES: Array<[string, string]> = [
  ['archive_url', '/{archive_format}{/ref}'],
  ['assignees_url', '/assignees{/user}'],
  ['blobs_url', '/git/blobs{/sha}'],
  ['branches_url', '/branches{/branch}'],
  ['collaborators_url', '/collaborators{/collaborator}'],
  ['comments_url', '/comments{/number}'],
  ['commits_url', '/commits{/sha}'],
  ['compare_url', '/compare/{base}...{head}'],
  ['contents_url', '/contents/{+path}'],
  ['contributors_url', '/contributors'],
  ['deployments_url', '/deployments'],
  ['downloads_url', '/downloads'],
  ['events_url', '/events'],
  ['forks_url', '/forks'],
  ['git_commits_url', '/git/commits{/sha}'],
  ['git_refs_url', '/git/refs{/sha}'],
  ['git_tags_url', '/git/tags{/sha}'],
  ['hooks_url', '/hooks'],
  ['issue_comment_url', '/issues/comments{/number}'],
  ['issue_events_url', '/issues/events{/number}'],
  ['issues_url', '/issues{/number}'],
  ['keys_url', '/keys{/key_id}'],
  ['labels_url', '/labels{/name}'],
  ['languages_url', '/languages'],
  ['merges_url', '/merges'],
  ['milestones_url', '/milestones{/number}'],
  ['notifications_url', '/notifications{?since,all,participating}'],
  ['pulls_url', '/pulls{/number}'],
  ['releases_url', '/releases{/id}'],
  ['stargazers_url', '/stargazers'],
  ['statuses_url', '/statuses/{sha}'],
  ['subscribers_url', '/subscribers'],
  ['subscription_url', '/subscription'],
  ['tags_url', '/tags'],
  ['teams_url', '/teams'],
  ['trees_url', '/git/trees{/sha}'],
];

/** The `repository` resource; `full` adds what GET /repos/{owner}/{repo} returns on top. */
export function renderRepository(links: Links, repo: FakeRepository, options: { full?: boolean } = {}) {
  const settings = repo.settings;
  const openIssues = repo.issues().filter((issue) => issue.state === 'open').length;
  const urls = Object.fromEntries(
    REPO_URL_TEMPLATES.map(([key, suffix]) => [key, links.repoApi(repo, suffix)]),
  );
  const html = links.repoHtml(repo);
  const created = iso(repo.createdAt);
  const base = {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: repo.fullName,
    owner: renderUser(links, repo.owner),
    private: settings.private,
    html_url: html,
    description: settings.description,
    fork: false,
    url: links.repoApi(repo),
    ...urls,
    created_at: created,
    updated_at: created,
    pushed_at: created,
    git_url: `${html.replace(/^https?:/, 'git:')}.git`,
    ssh_url: `git@${new URL(links.htmlUrl).host}:${repo.fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 1,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'Nix',
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: settings.archived,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: settings.private ? 'private' : 'public',
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
  if (!options.full) return base;
  return {
    ...base,
    allow_squash_merge: settings.allowSquashMerge,
    allow_merge_commit: settings.allowMergeCommit,
    allow_rebase_merge: settings.allowRebaseMerge,
    allow_auto_merge: settings.allowAutoMerge,
    delete_branch_on_merge: settings.deleteBranchOnMerge,
    allow_update_branch: false,
    use_squash_pr_title_as_default: false,
    squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
    squash_merge_commit_message: 'COMMIT_MESSAGES',
    merge_commit_title: 'MERGE_MESSAGE',
    merge_commit_message: 'PR_TITLE',
    network_count: 0,
    subscribers_count: 0,
  };
}

export function renderLabel(links: Links, repo: FakeRepository, label: LabelRecord) {
  return {
    id: label.id,
    node_id: label.nodeId,
    url: links.repoApi(repo, `/labels/${encodeURIComponent(label.name)}`),
    name: label.name,
    color: label.color,
    default: label.default,
    description: label.description,
  };
}

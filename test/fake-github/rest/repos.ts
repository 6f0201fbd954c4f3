import { GitHubError, notFound } from '../state/errors.js';
import type { FileDiff } from '../state/git.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId } from '../state/state.js';
import { ok, paginate, queryString, type RestCall, type RestHandlers } from './call.js';
import { wrapBase64 } from './git.js';
import { iso, type Links, renderRepository, renderUser } from './render.js';

/** Repository, commits, contents and compare endpoints. */
export const repoHandlers: RestHandlers = {
  'repos/get': (call) => ok(renderRepository(call.links, call.repo, { full: true })),

  'repos/get-branch': (call) => {
    const name = call.params.branch as string;
    const sha = call.repo.branch(name);
    if (!sha) throw new GitHubError(404, 'Branch not found');
    return ok({
      name,
      commit: renderCommit(call, sha),
      _links: {
        html: call.links.repoHtml(call.repo, `/tree/${name}`),
        self: call.links.repoApi(call.repo, `/branches/${name}`),
      },
      protected: false,
      protection: {
        enabled: false,
        required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
      },
      protection_url: call.links.repoApi(call.repo, `/branches/${name}/protection`),
    });
  },

  'repos/get-commit': (call) => {
    const sha = call.repo.git.resolveCommit(call.params.ref as string);
    if (!sha) throw new GitHubError(422, `No commit found for SHA: ${call.params.ref}`);
    return ok(renderCommit(call, sha, { withFiles: true }));
  },

  'repos/list-commits': (call) => {
    const start = call.repo.git.resolveCommit(queryString(call, 'sha') ?? call.repo.defaultBranch);
    if (!start) throw notFound();
    const shas = call.repo.git.commitsBetween(undefined, start).reverse();
    return paginate(
      call,
      shas.map((sha) => renderCommit(call, sha)),
    );
  },

  'repos/get-content': (call) => {
    const ref = queryString(call, 'ref') ?? call.repo.defaultBranch;
    const sha = call.repo.git.resolveCommit(ref);
    if (!sha) throw new GitHubError(404, `No commit found for the ref ${ref}`);
    const path = (call.params.path ?? '').replace(/^\/+|\/+$/g, '');
    const tree = call.repo.git.commit(sha)?.tree as string;
    const entry = call.repo.git.entryAt(tree, path);
    if (!entry) throw notFound();
    if (entry.type === 'tree') {
      const children = call.repo.git.tree(entry.sha)?.entries ?? [];
      return ok(
        children.map((child) =>
          renderContentItem(call.links, call.repo, ref, path ? `${path}/${child.name}` : child.name, child),
        ),
      );
    }
    const blob = call.repo.git.blob(entry.sha);
    return ok({
      ...renderContentItem(call.links, call.repo, ref, path, entry),
      content: wrapBase64(blob?.content ?? Buffer.alloc(0)),
      encoding: 'base64',
    });
  },

  'repos/compare-commits-with-basehead': (call) => compare(call),
  // Octokit's description also lists the older spelling, whose template splits base and head.
  'repos/compare-commits': (call) => compare(call),
};

function compare(call: RestCall) {
  const basehead = call.params.basehead ?? `${call.params.base}...${call.params.head}`;
  const [baseName, headName] = basehead.split(/\.{2,3}/);
  const repo = call.repo;
  const base = baseName ? repo.git.resolveCommit(stripOwner(baseName)) : undefined;
  const head = headName ? repo.git.resolveCommit(stripOwner(headName)) : undefined;
  if (!base || !head) throw notFound();
  const mergeBase = repo.git.mergeBase(base, head) ?? base;
  const ahead = repo.git.commitsBetween(base, head);
  const behind = repo.git.commitsBetween(head, base);
  const status =
    ahead.length === 0 && behind.length === 0
      ? 'identical'
      : behind.length === 0
        ? 'ahead'
        : ahead.length === 0
          ? 'behind'
          : 'diverged';
  const html = call.links.repoHtml(repo, `/compare/${basehead}`);
  const diffs = repo.git.diffTrees(repo.git.commit(mergeBase)?.tree, repo.git.commit(head)?.tree as string);
  return ok({
    url: call.links.repoApi(repo, `/compare/${basehead}`),
    html_url: html,
    permalink_url: call.links.repoHtml(
      repo,
      `/compare/${repo.owner.login}:${base.slice(0, 7)}...${repo.owner.login}:${head.slice(0, 7)}`,
    ),
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    base_commit: renderCommit(call, base),
    merge_base_commit: renderCommit(call, mergeBase),
    status,
    ahead_by: ahead.length,
    behind_by: behind.length,
    total_commits: ahead.length,
    commits: ahead.map((sha) => renderCommit(call, sha)),
    files: diffs.map((diff) => renderDiffEntry(call.links, repo, head, diff)),
  });
}

/** `owner:branch` (a cross-repository head) names a branch of this repository here. */
function stripOwner(name: string): string {
  return name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
}

function renderContentItem(
  links: Links,
  repo: FakeRepository,
  ref: string,
  path: string,
  entry: { type: string; sha: string },
) {
  const type = entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : 'file';
  const self = links.repoApi(repo, `/contents/${path}?ref=${encodeURIComponent(ref)}`);
  const git = links.repoApi(repo, `/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`);
  const html = links.repoHtml(repo, `/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${path}`);
  return {
    type,
    name: path.split('/').pop() ?? path,
    path,
    sha: entry.sha,
    size: entry.type === 'blob' ? (repo.git.blob(entry.sha)?.content.length ?? 0) : 0,
    url: self,
    html_url: html,
    git_url: git,
    download_url:
      type === 'file' ? `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${path}` : null,
    _links: { self, git, html },
  };
}

/** The `commit` resource of the commits and compare endpoints. */
export function renderCommit(call: RestCall, sha: string, options: { withFiles?: boolean } = {}) {
  const { links, repo } = call;
  const commit = repo.git.commit(sha);
  if (!commit) throw notFound();
  const person = (p: typeof commit.author) => ({ name: p.name, email: p.email, date: iso(p.date) });
  const userFor = (email: string) => {
    const login = /^\d+\+(.+)@users\.noreply\.github\.com$/.exec(email)?.[1];
    const user = login ? call.state.findUser(login) : undefined;
    return user ? renderUser(links, user) : null;
  };
  const base = {
    url: links.repoApi(repo, `/commits/${sha}`),
    sha,
    node_id: encodeNodeId('C', ['commit', repo.id, sha]),
    html_url: links.repoHtml(repo, `/commit/${sha}`),
    comments_url: links.repoApi(repo, `/commits/${sha}/comments`),
    commit: {
      url: links.repoApi(repo, `/git/commits/${sha}`),
      author: person(commit.author),
      committer: person(commit.committer),
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: links.repoApi(repo, `/git/trees/${commit.tree}`) },
      verification: {
        verified: commit.verified,
        reason: commit.verified ? 'valid' : 'unsigned',
        signature: null,
        payload: null,
        verified_at: commit.verified ? iso(commit.committer.date) : null,
      },
    },
    author: userFor(commit.author.email),
    committer: userFor(commit.committer.email),
    parents: commit.parents.map((parent) => ({
      sha: parent,
      url: links.repoApi(repo, `/commits/${parent}`),
      html_url: links.repoHtml(repo, `/commit/${parent}`),
    })),
  };
  if (!options.withFiles) return base;
  const parentTree = commit.parents[0] ? repo.git.commit(commit.parents[0])?.tree : undefined;
  const files = repo.git
    .diffTrees(parentTree, commit.tree)
    .map((diff) => renderDiffEntry(links, repo, sha, diff));
  const additions = files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
  return { ...base, stats: { additions, deletions, total: additions + deletions }, files };
}

export function renderDiffEntry(links: Links, repo: FakeRepository, commitSha: string, diff: FileDiff) {
  const text = (sha: string | undefined) => (sha ? (repo.git.blob(sha)?.content.toString('utf8') ?? '') : '');
  const { additions, deletions } = countLineChanges(text(diff.before?.sha), text(diff.after?.sha));
  const encodedPath = diff.path.split('/').map(encodeURIComponent).join('/');
  return {
    sha: diff.after?.sha ?? diff.before?.sha ?? null,
    filename: diff.path,
    status: diff.status,
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: links.repoHtml(repo, `/blob/${commitSha}/${encodedPath}`),
    raw_url: links.repoHtml(repo, `/raw/${commitSha}/${encodedPath}`),
    contents_url: links.repoApi(repo, `/contents/${encodedPath}?ref=${commitSha}`),
  };
}

/** Lines only in `after` and lines only in `before`, counted as multisets (good enough for stats). */
function countLineChanges(before: string, after: string): { additions: number; deletions: number } {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const remaining = new Map<string, number>();
  for (const line of lines(before)) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let additions = 0;
  for (const line of lines(after)) {
    const count = remaining.get(line) ?? 0;
    if (count > 0) remaining.set(line, count - 1);
    else additions += 1;
  }
  const deletions = [...remaining.values()].reduce((sum, count) => sum + count, 0);
  return { additions, deletions };
}

import { GitHubError, notFound, unprocessable } from '../state/errors.js';
import { type FileEntry, type FileMap, normalizePath, type TreeEntry, type TreeMode } from '../state/git.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId } from '../state/state.js';
import { created, noContent, ok, queryString, type RestHandlers } from './call.js';
import { iso, type Links } from './render.js';

/** Git database endpoints: refs, blobs, trees, commits. */
export const gitHandlers: RestHandlers = {
  'git/get-ref': (call) => {
    const name = fullRefName(call.params.ref as string);
    const sha = call.repo.git.ref(name);
    if (!sha) throw notFound();
    return ok(renderRef(call.links, call.repo, name, sha));
  },

  'git/list-matching-refs': (call) => {
    const prefix = fullRefName(call.params.ref as string);
    const refs = call.repo.git.refNames().filter((name) => name.startsWith(prefix));
    return ok(refs.map((name) => renderRef(call.links, call.repo, name, call.repo.git.ref(name) as string)));
  },

  'git/create-ref': (call) => {
    const { ref, sha } = call.body as { ref: string; sha: string };
    if (!/^refs\/[^/]+\/.+/.test(ref))
      throw unprocessable("ref must start with 'refs/' and have at least two slashes.");
    if (call.repo.git.ref(ref)) throw unprocessable('Reference already exists');
    if (!call.repo.git.has(sha)) throw unprocessable('Object does not exist');
    call.repo.git.setRef(ref, sha);
    return created(renderRef(call.links, call.repo, ref, sha));
  },

  'git/update-ref': (call) => {
    const { sha, force } = call.body as { sha: string; force?: boolean };
    const name = fullRefName(call.params.ref as string);
    const current = call.repo.git.ref(name);
    if (!current) throw unprocessable('Reference does not exist');
    if (!call.repo.git.has(sha)) throw unprocessable('Object does not exist');
    if (!force && !call.repo.git.isAncestor(current, sha))
      throw unprocessable('Update is not a fast forward');
    call.repo.git.setRef(name, sha);
    return ok(renderRef(call.links, call.repo, name, sha));
  },

  'git/delete-ref': (call) => {
    if (!call.repo.git.deleteRef(fullRefName(call.params.ref as string))) {
      throw unprocessable('Reference does not exist');
    }
    return noContent();
  },

  'git/create-blob': (call) => {
    const { content, encoding } = call.body as { content: string; encoding?: string };
    const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    const sha = call.repo.git.writeBlob(bytes);
    return created({ url: call.links.repoApi(call.repo, `/git/blobs/${sha}`), sha });
  },

  'git/get-blob': (call) => {
    const sha = call.params.file_sha as string;
    const blob = call.repo.git.blob(sha);
    if (!blob) throw notFound();
    return ok({
      sha,
      node_id: encodeNodeId('B', ['blob', call.repo.id, sha]),
      size: blob.content.length,
      url: call.links.repoApi(call.repo, `/git/blobs/${sha}`),
      content: wrapBase64(blob.content),
      encoding: 'base64',
    });
  },

  'git/create-tree': (call) => {
    const body = call.body as { tree: TreeInput[]; base_tree?: string };
    const git = call.repo.git;
    let files: FileMap = new Map();
    if (body.base_tree) {
      const baseTree = git.tree(body.base_tree) ? body.base_tree : git.commit(body.base_tree)?.tree;
      if (!baseTree) throw unprocessable('Invalid tree info');
      files = git.flatten(baseTree);
    }
    for (const input of body.tree) applyTreeInput(call.repo, files, input);
    const sha = git.writeFiles(files);
    return created(renderTree(call.links, call.repo, sha, false));
  },

  'git/get-tree': (call) => {
    const repo = call.repo;
    const requested = call.params.tree_sha as string;
    const sha = repo.git.tree(requested) ? requested : treeOfRefish(repo, requested);
    if (!sha) throw notFound();
    return ok(renderTree(call.links, repo, sha, queryString(call, 'recursive') !== undefined));
  },

  'git/create-commit': (call) => {
    const body = call.body as unknown as CommitInput;
    const git = call.repo.git;
    if (!git.tree(body.tree)) throw unprocessable('Tree SHA does not exist');
    for (const parent of body.parents ?? []) {
      if (!git.commit(parent)) throw unprocessable('Parent SHA does not exist or is not a commit object');
    }
    const now = call.state.now();
    const actor = call.state.actor;
    const person = (input: CommitInput['author']) => ({
      name: input?.name ?? actor.name,
      email: input?.email ?? actor.email,
      date: input?.date ? new Date(input.date) : now,
    });
    const sha = git.writeCommit({
      tree: body.tree,
      parents: body.parents ?? [],
      message: body.message,
      author: person(body.author),
      committer: body.committer
        ? person(body.committer)
        : { name: 'GitHub', email: 'noreply@github.com', date: now },
      // GitHub signs API commits of apps and bots unless they bring their own author or committer.
      verified: !body.author && !body.committer,
    });
    return created(renderGitCommit(call.links, call.repo, sha));
  },

  'git/get-commit': (call) => {
    const sha = call.params.commit_sha as string;
    if (!call.repo.git.commit(sha)) throw notFound();
    return ok(renderGitCommit(call.links, call.repo, sha));
  },
};

interface TreeInput {
  path: string;
  mode: TreeMode;
  type: 'blob' | 'tree' | 'commit';
  sha?: string | null;
  content?: string;
}

interface CommitInput {
  message: string;
  tree: string;
  parents?: string[];
  author?: { name?: string; email?: string; date?: string };
  committer?: { name?: string; email?: string; date?: string };
}

/** `heads/main` and `refs/heads/main` both name `refs/heads/main`. */
export function fullRefName(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

function applyTreeInput(repo: FakeRepository, files: FileMap, input: TreeInput): void {
  const git = repo.git;
  const path = normalizePath(input.path);
  const removeBelow = () => {
    files.delete(path);
    for (const key of [...files.keys()]) if (key.startsWith(`${path}/`)) files.delete(key);
  };
  if (input.sha === null) {
    removeBelow();
    return;
  }
  if (input.type === 'tree') {
    if (!input.sha || !git.tree(input.sha)) throw unprocessable('Invalid tree info');
    removeBelow();
    for (const [nested, entry] of git.flatten(input.sha)) files.set(`${path}/${nested}`, entry);
    return;
  }
  let sha = input.sha;
  if (input.content !== undefined) sha = git.writeBlob(input.content);
  if (!sha) throw new GitHubError(422, 'Must supply tree.sha or tree.content');
  if (input.type === 'blob' && !git.blob(sha)) throw unprocessable(`tree.sha ${sha} is not a valid blob`);
  const entry: FileEntry = { mode: input.mode, type: input.type, sha };
  files.set(path, entry);
}

function treeOfRefish(repo: FakeRepository, refish: string): string | undefined {
  const sha = repo.git.resolveCommit(refish);
  return sha ? repo.git.commit(sha)?.tree : undefined;
}

export function renderRef(links: Links, repo: FakeRepository, name: string, sha: string) {
  const type = repo.git.object(sha)?.type ?? 'commit';
  return {
    ref: name,
    node_id: encodeNodeId('REF', ['ref', repo.id, name]),
    url: links.repoApi(repo, `/git/${name}`),
    object: { type, sha, url: links.repoApi(repo, `/git/${type}s/${sha}`) },
  };
}

function renderTree(links: Links, repo: FakeRepository, sha: string, recursive: boolean) {
  const entries: Array<TreeEntry & { path: string }> = [];
  const walk = (treeSha: string, prefix: string) => {
    for (const entry of repo.git.tree(treeSha)?.entries ?? []) {
      entries.push({ ...entry, path: prefix + entry.name });
      if (recursive && entry.type === 'tree') walk(entry.sha, `${prefix}${entry.name}/`);
    }
  };
  walk(sha, '');
  return {
    sha,
    url: links.repoApi(repo, `/git/trees/${sha}`),
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.type === 'blob' ? { size: repo.git.blob(entry.sha)?.content.length ?? 0 } : {}),
      url: links.repoApi(repo, `/git/${entry.type}s/${entry.sha}`),
    })),
    truncated: false,
  };
}

export function renderGitCommit(links: Links, repo: FakeRepository, sha: string) {
  const commit = repo.git.commit(sha);
  if (!commit) throw notFound();
  const person = (p: typeof commit.author) => ({ name: p.name, email: p.email, date: iso(p.date) });
  return {
    sha,
    node_id: encodeNodeId('C', ['commit', repo.id, sha]),
    url: links.repoApi(repo, `/git/commits/${sha}`),
    html_url: links.repoHtml(repo, `/commit/${sha}`),
    author: person(commit.author),
    committer: person(commit.committer),
    tree: { sha: commit.tree, url: links.repoApi(repo, `/git/trees/${commit.tree}`) },
    message: commit.message,
    parents: commit.parents.map((parent) => ({
      sha: parent,
      url: links.repoApi(repo, `/git/commits/${parent}`),
      html_url: links.repoHtml(repo, `/commit/${parent}`),
    })),
    verification: {
      verified: commit.verified,
      reason: commit.verified ? 'valid' : 'unsigned',
      signature: null,
      payload: null,
      verified_at: commit.verified ? iso(commit.committer.date) : null,
    },
  };
}

/** GitHub wraps base64 content at 60 characters, each line ending in a newline. */
export function wrapBase64(content: Buffer): string {
  return (content.toString('base64').match(/.{1,60}/g) ?? []).map((line) => `${line}\n`).join('');
}

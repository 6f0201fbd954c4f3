import { createHash } from 'node:crypto';

/** Git's object database and refs, with SHAs computed exactly as git computes them. */

export type TreeMode = '100644' | '100755' | '040000' | '160000' | '120000';

export interface TreeEntry {
  name: string;
  mode: TreeMode;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
}

export interface GitSignature {
  name: string;
  email: string;
  date: Date;
}

export interface BlobObject {
  type: 'blob';
  content: Buffer;
}

export interface TreeObject {
  type: 'tree';
  entries: TreeEntry[];
}

export interface CommitObject {
  type: 'commit';
  tree: string;
  parents: string[];
  message: string;
  author: GitSignature;
  committer: GitSignature;
  /** GitHub shows API-made commits of bots and apps as signed ("Verified"). */
  verified: boolean;
}

export type GitObject = BlobObject | TreeObject | CommitObject;

/** A file in a flattened tree, keyed elsewhere by its full path. */
export interface FileEntry {
  mode: TreeMode;
  type: 'blob' | 'commit';
  sha: string;
}

export type FileMap = Map<string, FileEntry>;

/** What tests and seeds hand in: path → text or bytes. */
export type FileTree = Record<string, string | Uint8Array>;

export interface FileDiff {
  path: string;
  status: 'added' | 'removed' | 'modified';
  before?: FileEntry;
  after?: FileEntry;
}

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export class GitDatabase {
  private readonly objects = new Map<string, GitObject>();
  private readonly refs = new Map<string, string>();

  has(sha: string): boolean {
    return this.objects.has(sha);
  }

  object(sha: string): GitObject | undefined {
    return this.objects.get(sha);
  }

  blob(sha: string): BlobObject | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'blob' ? object : undefined;
  }

  tree(sha: string): TreeObject | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'tree' ? object : undefined;
  }

  commit(sha: string): CommitObject | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'commit' ? object : undefined;
  }

  writeBlob(content: string | Uint8Array): string {
    return this.store({ type: 'blob', content: Buffer.from(content) });
  }

  writeTree(entries: TreeEntry[]): string {
    return this.store({ type: 'tree', entries: sortEntries(entries) });
  }

  writeCommit(commit: Omit<CommitObject, 'type'>): string {
    return this.store({ type: 'commit', ...commit });
  }

  /** Builds nested trees from full paths. */
  writeFiles(files: FileMap): string {
    const children = new Map<string, FileMap>();
    const entries: TreeEntry[] = [];
    for (const [path, entry] of files) {
      const slash = path.indexOf('/');
      if (slash === -1) {
        entries.push({ name: path, ...entry });
        continue;
      }
      const dir = path.slice(0, slash);
      const nested = children.get(dir) ?? new Map<string, FileEntry>();
      nested.set(path.slice(slash + 1), entry);
      children.set(dir, nested);
    }
    for (const [name, nested] of children) {
      entries.push({ name, mode: '040000', type: 'tree', sha: this.writeFiles(nested) });
    }
    return this.writeTree(entries);
  }

  writeFileTree(files: FileTree): FileMap {
    const map: FileMap = new Map();
    for (const [path, content] of Object.entries(files)) {
      map.set(normalizePath(path), { mode: '100644', type: 'blob', sha: this.writeBlob(content) });
    }
    return map;
  }

  /** Every file below a tree, by full path. */
  flatten(treeSha: string, prefix = ''): FileMap {
    const tree = this.tree(treeSha);
    if (!tree) throw new Error(`no tree ${treeSha}`);
    const files: FileMap = new Map();
    for (const entry of tree.entries) {
      const path = prefix + entry.name;
      if (entry.type === 'tree') {
        for (const [nested, file] of this.flatten(entry.sha, `${path}/`)) files.set(nested, file);
      } else {
        files.set(path, { mode: entry.mode, type: entry.type, sha: entry.sha });
      }
    }
    return files;
  }

  /** The tree or blob entry at `path` inside a tree (`''` is the tree itself). */
  entryAt(treeSha: string, path: string): TreeEntry | undefined {
    let current: TreeEntry = { name: '', mode: '040000', type: 'tree', sha: treeSha };
    for (const part of normalizePath(path).split('/').filter(Boolean)) {
      const tree = current.type === 'tree' ? this.tree(current.sha) : undefined;
      const next = tree?.entries.find((entry) => entry.name === part);
      if (!next) return undefined;
      current = next;
    }
    return current;
  }

  ref(name: string): string | undefined {
    return this.refs.get(name);
  }

  setRef(name: string, sha: string): void {
    this.refs.set(name, sha);
  }

  deleteRef(name: string): boolean {
    return this.refs.delete(name);
  }

  refNames(): string[] {
    return [...this.refs.keys()].sort();
  }

  /** A full SHA, `refs/…`, `heads/…`, a branch or a tag name, or an unambiguous abbreviated SHA. */
  resolveCommit(refish: string): string | undefined {
    if (/^[0-9a-f]{40}$/.test(refish)) return this.commit(refish) ? refish : undefined;
    const ref =
      this.refs.get(refish) ??
      this.refs.get(`refs/${refish}`) ??
      this.refs.get(`refs/heads/${refish}`) ??
      this.refs.get(`refs/tags/${refish}`);
    if (ref) return ref;
    if (/^[0-9a-f]{7,39}$/.test(refish)) {
      const matches = [...this.objects].filter(([sha, o]) => o.type === 'commit' && sha.startsWith(refish));
      if (matches.length === 1) return matches[0]?.[0];
    }
    return undefined;
  }

  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commit(next)?.parents ?? []));
    }
    return seen;
  }

  isAncestor(ancestor: string, of: string): boolean {
    return this.ancestors(of).has(ancestor);
  }

  mergeBase(a: string, b: string): string | undefined {
    const ofA = this.ancestors(a);
    // Breadth-first from b finds the nearest common ancestor first.
    const queue = [b];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (ofA.has(next)) return next;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commit(next)?.parents ?? []));
    }
    return undefined;
  }

  /** Commits reachable from `head` but not from `base`, oldest first, as `compare` lists them. */
  commitsBetween(base: string | undefined, head: string): string[] {
    const excluded = base ? this.ancestors(base) : new Set<string>();
    const result: string[] = [];
    const visit = (sha: string, seen: Set<string>) => {
      if (excluded.has(sha) || seen.has(sha)) return;
      seen.add(sha);
      for (const parent of this.commit(sha)?.parents ?? []) visit(parent, seen);
      result.push(sha);
    };
    visit(head, new Set());
    return result;
  }

  diffTrees(beforeTree: string | undefined, afterTree: string): FileDiff[] {
    const before = beforeTree ? this.flatten(beforeTree) : new Map<string, FileEntry>();
    const after = this.flatten(afterTree);
    const diffs: FileDiff[] = [];
    for (const [path, entry] of after) {
      const old = before.get(path);
      if (!old) diffs.push({ path, status: 'added', after: entry });
      else if (old.sha !== entry.sha || old.mode !== entry.mode)
        diffs.push({ path, status: 'modified', before: old, after: entry });
    }
    for (const [path, entry] of before) {
      if (!after.has(path)) diffs.push({ path, status: 'removed', before: entry });
    }
    return diffs.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** A file-level three-way merge: a path changed on both sides in different ways is a conflict. */
  mergeTrees(baseTree: string | undefined, oursTree: string, theirsTree: string): MergeResult {
    const base = baseTree ? this.flatten(baseTree) : new Map<string, FileEntry>();
    const ours = this.flatten(oursTree);
    const theirs = this.flatten(theirsTree);
    const merged: FileMap = new Map(ours);
    const conflicts: string[] = [];
    for (const path of new Set([...base.keys(), ...theirs.keys()])) {
      const b = base.get(path)?.sha;
      const o = ours.get(path)?.sha;
      const t = theirs.get(path)?.sha;
      if (t === b || t === o) continue;
      if (o !== b) {
        conflicts.push(path);
        continue;
      }
      const theirsEntry = theirs.get(path);
      if (theirsEntry) merged.set(path, theirsEntry);
      else merged.delete(path);
    }
    if (conflicts.length > 0) return { conflicts };
    return { tree: this.writeFiles(merged) };
  }

  private store(object: GitObject): string {
    const sha = hashObject(object);
    if (!this.objects.has(sha)) this.objects.set(sha, object);
    return sha;
  }
}

export type MergeResult = { tree: string; conflicts?: undefined } | { tree?: undefined; conflicts: string[] };

export function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
}

export function hashObject(object: GitObject): string {
  const body = serialize(object);
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${object.type} ${body.length}\0`), body]))
    .digest('hex');
}

function serialize(object: GitObject): Buffer {
  switch (object.type) {
    case 'blob':
      return object.content;
    case 'tree':
      return Buffer.concat(
        object.entries.map((entry) =>
          Buffer.concat([
            Buffer.from(`${entry.mode.replace(/^0/, '')} ${entry.name}\0`),
            Buffer.from(entry.sha, 'hex'),
          ]),
        ),
      );
    case 'commit': {
      const lines = [`tree ${object.tree}`, ...object.parents.map((parent) => `parent ${parent}`)];
      lines.push(`author ${signature(object.author)}`, `committer ${signature(object.committer)}`);
      return Buffer.from(`${lines.join('\n')}\n\n${object.message}`);
    }
  }
}

function signature(person: GitSignature): string {
  return `${person.name} <${person.email}> ${Math.floor(person.date.getTime() / 1000)} +0000`;
}

/** Git orders tree entries by name, comparing a subtree's name as if it ended in `/`. */
function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  const key = (entry: TreeEntry) => Buffer.from(entry.type === 'tree' ? `${entry.name}/` : entry.name);
  return [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
}

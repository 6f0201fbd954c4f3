import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Restic, TreeBlob } from './restic.js';

type TreeNode = TreeBlob['nodes'][number];

/**
 * Reads file nodes through snapshot trees (`cat blob`), with each tree read once. A file node
 * lists its data blobs, whose IDs are the SHA-256 of their plaintext: the repository's own record of
 * what a restored file must hold.
 */
export class SnapshotTrees {
  private readonly trees = new Map<string, Promise<TreeBlob>>();
  private readonly blobLengths = new Map<string, number>();
  private unreadIndexes: string[] | undefined;

  constructor(private readonly restic: Restic) {}

  async node(rootTree: string, path: string): Promise<TreeNode | undefined> {
    let tree = rootTree;
    const names = path.split('/').filter((name) => name.length > 0);
    for (const [index, name] of names.entries()) {
      const node = (await this.tree(tree)).nodes.find((candidate) => candidate.name === name);
      if (!node) return undefined;
      if (index === names.length - 1) return node;
      if (!node.subtree) return undefined;
      tree = node.subtree;
    }
    return undefined;
  }

  /**
   * Plaintext lengths of data blobs, from the index files. Only files of several blobs need them, so
   * index files are read only then, and only until every wanted blob is found.
   */
  async lengths(ids: readonly string[]): Promise<Map<string, number>> {
    const missing = () => ids.some((id) => !this.blobLengths.has(id));
    if (!missing()) return this.blobLengths;
    this.unreadIndexes ??= await this.restic.indexIds();
    for (
      let indexId = this.unreadIndexes.shift();
      indexId !== undefined;
      indexId = this.unreadIndexes.shift()
    ) {
      for (const pack of (await this.restic.index(indexId)).packs ?? []) {
        for (const blob of pack.blobs ?? []) {
          // An uncompressed blob carries a 16-byte nonce and a 16-byte MAC around its plaintext.
          if (blob.type === 'data')
            this.blobLengths.set(blob.id, blob.uncompressed_length ?? blob.length - 32);
        }
      }
      if (!missing()) break;
    }
    return this.blobLengths;
  }

  private tree(id: string): Promise<TreeBlob> {
    let tree = this.trees.get(id);
    if (!tree) {
      tree = this.restic.tree(id);
      this.trees.set(id, tree);
    }
    return tree;
  }
}

export type ContentVerdict =
  | { verdict: 'match'; blobs: number }
  | { verdict: 'mismatch'; blob: number; blobs: number }
  | { verdict: 'unknown'; reason: string };

/** Hashes the restored file blob by blob and compares each piece with the blob ID the tree records. */
export async function compareContent(
  file: string,
  content: readonly string[],
  trees: SnapshotTrees,
): Promise<ContentVerdict> {
  let lengths: number[];
  if (content.length === 1) {
    lengths = [Number.POSITIVE_INFINITY];
  } else {
    const known = await trees.lengths(content);
    const found = content.map((id) => known.get(id));
    if (found.some((length) => length === undefined))
      return { verdict: 'unknown', reason: 'blob lengths not in the index' };
    lengths = found as number[];
  }
  const handle = await open(file, 'r');
  try {
    let position = 0;
    for (const [index, length] of lengths.entries()) {
      const hash = createHash('sha256');
      let remaining = length;
      const buffer = Buffer.alloc(1 << 20);
      while (remaining > 0) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, remaining), position);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
        remaining -= bytesRead;
      }
      if (hash.digest('hex') !== content[index])
        return { verdict: 'mismatch', blob: index + 1, blobs: content.length };
    }
    const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, position);
    if (bytesRead > 0) return { verdict: 'mismatch', blob: content.length, blobs: content.length };
    return { verdict: 'match', blobs: content.length };
  } finally {
    await handle.close();
  }
}

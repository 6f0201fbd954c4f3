import { chmod, lstat, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface SavedFile {
  content: Buffer;
  mode: number;
  /** Seconds, with the sub-second part: a Date would round it to milliseconds. */
  atime: number;
  mtime: number;
}

/** What a rewriting formatter did to one file, before the snapshot put it back. */
export interface RewrittenFile {
  path: string;
  before: string;
  after: string | undefined;
}

/** Files larger than this are not saved: no formatter rewrites them, and memory stays bounded. */
const LARGEST_SAVED_FILE = 16 * 1024 * 1024;

/**
 * The content, mode and times of a set of files, so a formatter that can only rewrite (treefmt,
 * `nix fmt`) can run in the checkout and the checkout be put back exactly as it was.
 */
export class TreeSnapshot {
  private constructor(
    private readonly root: string,
    private readonly files: Map<string, SavedFile>,
  ) {}

  /** `paths` are relative to `root`; missing files, symbolic links and huge files are skipped. */
  static async take(root: string, paths: readonly string[]): Promise<TreeSnapshot> {
    const files = new Map<string, SavedFile>();
    await Promise.all(
      paths.map(async (path) => {
        try {
          const stats = await lstat(join(root, path));
          if (!stats.isFile() || stats.size > LARGEST_SAVED_FILE) return;
          const content = await readFile(join(root, path));
          files.set(path, {
            content,
            mode: stats.mode & 0o7777,
            atime: stats.atimeMs / 1000,
            mtime: stats.mtimeMs / 1000,
          });
        } catch {
          // Gone between listing and reading: nothing to restore.
        }
      }),
    );
    return new TreeSnapshot(root, files);
  }

  get size(): number {
    return this.files.size;
  }

  /** Writes back every file that changed or vanished and returns what the formatter had made of each. */
  async restore(): Promise<RewrittenFile[]> {
    const rewritten: RewrittenFile[] = [];
    for (const [path, saved] of this.files) {
      const absolute = join(this.root, path);
      let current: Buffer | undefined;
      let mode: number | undefined;
      try {
        mode = (await lstat(absolute)).mode & 0o7777;
        current = await readFile(absolute);
      } catch {
        current = undefined;
      }
      if (current?.equals(saved.content) && mode === saved.mode) continue;
      await writeFile(absolute, saved.content);
      await chmod(absolute, saved.mode);
      await utimes(absolute, saved.atime, saved.mtime);
      if (current?.equals(saved.content)) continue;
      rewritten.push({ path, before: saved.content.toString('utf8'), after: current?.toString('utf8') });
    }
    return rewritten.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
}

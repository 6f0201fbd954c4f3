import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The run's temporary restores and restic cache, in one directory removed when the run ends. */
export interface ScratchSpace {
  root: string;
  /** A subdirectory for one repository (or the cache), created on first use. */
  directory(name: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createScratchSpace(parent: string): Promise<ScratchSpace> {
  await mkdir(parent, { recursive: true });
  const root = await mkdtemp(join(parent, 'flakeflow-backup-scratch-'));
  return {
    root,
    async directory(name) {
      const dir = join(root, name.replace(/[^A-Za-z0-9._-]/g, '_'));
      await mkdir(dir, { recursive: true });
      return dir;
    },
    remove: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

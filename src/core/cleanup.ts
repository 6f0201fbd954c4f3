import { rm } from 'node:fs/promises';
import type { StateStore } from './action.js';
import type { Logger } from './logger.js';

export const CLEANUP_STATE = 'cleanup-paths';

/** Where the post step is told to remove a path from, even when the main step fails or is cancelled. */
export interface CleanupRegistry {
  add(path: string): void;
}

/**
 * Files the post step must remove even when the main step failed or was cancelled (SSH keys,
 * known_hosts, scratch restores). Each registration is saved to the runner state at once, so a
 * main step killed half-way still leaves its post step the full list.
 */
export class CleanupList implements CleanupRegistry {
  private readonly paths: string[];

  constructor(private readonly state: StateStore) {
    this.paths = readCleanupPaths(state);
  }

  add(path: string): void {
    if (this.paths.includes(path)) return;
    this.paths.push(path);
    this.state.save(CLEANUP_STATE, JSON.stringify(this.paths));
  }
}

export function readCleanupPaths(state: StateStore): string[] {
  const raw = state.read(CLEANUP_STATE);
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** Removes every registered path; a failure is a warning, never a failed step. */
export async function removeRegisteredPaths(state: StateStore, logger: Logger): Promise<number> {
  let removed = 0;
  for (const path of readCleanupPaths(state)) {
    try {
      await rm(path, { recursive: true, force: true });
      removed += 1;
    } catch (error) {
      logger.warning(`Could not remove ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return removed;
}

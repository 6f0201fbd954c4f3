import type { Logger } from '../core/logger.js';
import type { GroupFreshness } from './freshness.js';
import type { RepositoryPlan } from './plan.js';
import type { Restic, Snapshot } from './restic.js';

export type { CheckFailure, CheckRun } from './verification.js';

/** What every check of one repository receives once the repository is open. */
export interface CheckContext {
  plan: RepositoryPlan;
  restic: Restic;
  snapshots: Snapshot[];
  freshness: GroupFreshness[];
  now: number;
  /** A directory of this repository's own, removed after the run. */
  scratchDir: string;
  /** How long `check` waits for the backup timer's lock where restic can wait (`--retry-lock`). */
  lockWait: string;
  logger: Logger;
}

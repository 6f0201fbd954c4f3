import { BACKUP_CHECKS } from './inputs.js';

export type BackupCheck = (typeof BACKUP_CHECKS)[number];

export function isBackupCheck(name: string): name is BackupCheck {
  return (BACKUP_CHECKS as readonly string[]).includes(name);
}

export const FAILURE_KINDS = [
  'wrong-password',
  'missing-repository',
  'locked',
  'stale',
  'missing-group',
  'retention',
  'integrity',
  'restore',
  'unreachable',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** One entry of the `failures` output. */
export interface Failure {
  repository: string;
  group?: string;
  check: BackupCheck;
  kind: FailureKind;
  message: string;
}

/**
 * `passed`/`failed`; `skipped` when the repository could not be opened; `not-run` when the check
 * was not asked for or has nothing to do (no policy, `check: none`); `cancelled` when the run was
 * cancelled before the check finished.
 */
export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not-run' | 'cancelled';

export interface CheckReport {
  check: BackupCheck;
  status: CheckStatus;
  /** One line for the summary table, e.g. `slice 3/7` or `3 files, 3 hashes`. */
  detail: string;
  /** Findings worth reading that do not fail the check (e.g. days without a snapshot). */
  notes?: string[];
}

export interface GroupReport {
  label: string;
  latestSnapshot?: string;
  latestTime?: string;
  ageMs?: number;
  maxAgeMs: number;
  snapshots: number;
  status: 'fresh' | 'stale' | 'missing' | 'drifted';
}

export interface RepositoryReport {
  name: string;
  /** The location with any URL password replaced by ***. */
  location: string;
  repositoryId?: string;
  checks: CheckReport[];
  groups: GroupReport[];
  failures: Failure[];
  durationMs: number;
}

/** The JSON report (`report` output) and what the summary is rendered from. */
export interface VerificationReport {
  healthy: boolean;
  cancelled: boolean;
  startedAt: string;
  finishedAt: string;
  restic?: string;
  checks: BackupCheck[];
  repositories: RepositoryReport[];
  failures: Failure[];
}

/** A failure found by one check of one repository, before the repository is named. */
export type CheckFailure = Omit<Failure, 'repository'>;

export interface CheckRun {
  report: CheckReport;
  failures: CheckFailure[];
}

import type { Logger } from '../core/logger.js';
import type { RetentionPolicy } from './config.js';
import { DEFAULT_SAMPLE, type GroupExpectation, type RepositoryPlan } from './plan.js';

/** One backup job as Nix describes it: a NixOS `services.restic.backups.<name>` or a services.json entry. */
export interface BackupJob {
  name: string;
  host?: string;
  tags: string[];
  paths?: string[];
  policy?: RetentionPolicy;
  /** A restic location, or the name of a configured repository. */
  repository?: string;
  passwordFile?: string;
  maxAgeMs?: number;
  source: 'services-json' | 'flake';
}

const KEEP_OPTION = /--keep-(last|hourly|daily|weekly|monthly|yearly)(?:=|\s+)(\d+)/g;

/** `pruneOpts = [ "--keep-daily 7" "--keep-weekly=4" ]` (or split words) as a policy. */
export function policyFromPruneOpts(options: readonly string[]): RetentionPolicy | undefined {
  const policy: RetentionPolicy = {};
  for (const match of options.join(' ').matchAll(KEEP_OPTION)) {
    policy[match[1] as keyof RetentionPolicy] = Number(match[2]);
  }
  return Object.keys(policy).length > 0 ? policy : undefined;
}

/** `extraBackupArgs = [ "--tag" "immich" ]` (or `--tag=a,b`): the tags the job's snapshots get. */
export function tagsFromBackupArgs(args: readonly string[]): string[] {
  const words = args.flatMap((arg) => arg.trim().split(/\s+/));
  const tags: string[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--tag') tags.push(...(words[index + 1] ?? '').split(','));
    else if (word.startsWith('--tag=')) tags.push(...word.slice(6).split(','));
  }
  return tags.filter((tag) => tag.length > 0);
}

const HOUR = 3_600_000;

/**
 * How old the newest snapshot may be for a systemd `OnCalendar` schedule: the period plus the
 * timer's randomized delay and some slack. Unknown schedules keep the repository's `max-age`.
 */
export function maxAgeForSchedule(onCalendar: string | undefined): number | undefined {
  if (!onCalendar) return undefined;
  const schedule = onCalendar.trim();
  if (schedule === 'hourly' || /^\*-\*-\* \*:\d{2}(?::\d{2})?$/.test(schedule)) return 2 * HOUR;
  if (schedule === 'daily' || /^\*-\*-\* \d{1,2}:\d{2}(?::\d{2})?$/.test(schedule)) return 26 * HOUR;
  if (schedule === 'weekly' || /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*\s/.test(schedule)) return 8 * 24 * HOUR;
  if (schedule === 'monthly') return 32 * 24 * HOUR;
  return undefined;
}

function expectation(job: BackupJob, plan: RepositoryPlan): GroupExpectation {
  return {
    ...(job.host !== undefined ? { host: job.host } : {}),
    tags: job.tags,
    ...(job.paths !== undefined ? { paths: job.paths } : {}),
    // With tags to find the job's snapshots, paths are what they must hold; without, what selects them.
    pathRole: job.tags.length > 0 ? 'expect' : 'select',
    maxAgeMs: job.maxAgeMs ?? plan.maxAgeMs,
    ...(job.policy ? { policy: job.policy } : {}),
    source: job.source,
  };
}

function sameGroup(a: GroupExpectation, b: GroupExpectation): boolean {
  const key = (group: GroupExpectation) => JSON.stringify([group.host ?? '', [...(group.tags ?? [])].sort()]);
  return key(a) === key(b);
}

function planForJob(job: BackupJob): RepositoryPlan {
  return {
    name: job.name,
    location: job.repository as string,
    password: { file: job.passwordFile as string },
    env: [],
    maxAgeMs: job.maxAgeMs ?? 26 * HOUR,
    groups: [],
    check: { mode: 'rotate' },
    restore: { sample: DEFAULT_SAMPLE, canaryMaxAgeMs: job.maxAgeMs ?? 26 * HOUR },
  };
}

/**
 * Adds each job as a group expectation to the repositories that should hold it: a configured
 * repository named like the job or at the job's location, else (a job naming no repository) every
 * configured one. A job whose repository is not configured becomes a repository of its own when Nix
 * gives its location and password file, so the configuration alone can say what to verify.
 */
export function mergeJobs(
  plans: readonly RepositoryPlan[],
  jobs: readonly BackupJob[],
  logger: Logger,
): RepositoryPlan[] {
  const merged = plans.map((plan) => ({ ...plan, groups: [...plan.groups] }));
  const add = (plan: RepositoryPlan, job: BackupJob) => {
    const group = expectation(job, plan);
    if (!plan.groups.some((existing) => sameGroup(existing, group))) plan.groups.push(group);
  };
  for (const job of jobs) {
    const named = merged.filter(
      (plan) =>
        plan.name === job.name ||
        (job.repository !== undefined && (plan.name === job.repository || plan.location === job.repository)),
    );
    if (named.length > 0) {
      for (const plan of named) add(plan, job);
    } else if (job.repository === undefined) {
      if (merged.length === 0)
        logger.warning(
          `Backup job ${job.name} names no repository and none is configured; it is not verified`,
        );
      for (const plan of merged) add(plan, job);
    } else if (job.passwordFile !== undefined) {
      const existing = merged.find((plan) => plan.location === job.repository);
      const plan = existing ?? planForJob(job);
      if (!existing) merged.push(plan);
      add(plan, job);
    } else {
      logger.warning(
        `Backup job ${job.name} writes to ${job.repository}, which is not configured and has no password file; it is not verified`,
      );
    }
  }
  return merged;
}

import type { CheckContext, CheckFailure, CheckRun } from './check-run.js';
import type { RetentionPolicy } from './config.js';
import { matchesGroup, shortId } from './freshness.js';
import { groupLabel } from './plan.js';
import type { ForgetGroup, RetentionFilter, Snapshot } from './restic.js';

const KEEP_FLAGS: [keyof RetentionPolicy, string][] = [
  ['last', '--keep-last'],
  ['hourly', '--keep-hourly'],
  ['daily', '--keep-daily'],
  ['weekly', '--keep-weekly'],
  ['monthly', '--keep-monthly'],
  ['yearly', '--keep-yearly'],
];

/** restic's `--keep-*` arguments for a policy; a zero count keeps nothing of its kind, so it is left out. */
export function keepArgs(policy: RetentionPolicy): string[] {
  return KEEP_FLAGS.flatMap(([name, flag]) => {
    const count = policy[name];
    return count !== undefined && count > 0 ? [flag, String(count)] : [];
  });
}

export function describePolicy(policy: RetentionPolicy): string {
  return KEEP_FLAGS.filter(([name]) => (policy[name] ?? 0) > 0)
    .map(([name]) => `${policy[name]} ${name}`)
    .join(', ');
}

/** A calendar period of a `--keep-*` bucket, keyed so that keys sort like the periods. */
interface Bucket {
  name: 'daily' | 'weekly' | 'monthly' | 'yearly';
  key(date: Date): string;
  back(from: Date, periods: number): Date;
}

function isoWeek(date: Date): string {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const BUCKETS: Bucket[] = [
  {
    name: 'daily',
    key: (date) => date.toISOString().slice(0, 10),
    back: (from, n) => new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - n)),
  },
  {
    name: 'weekly',
    key: isoWeek,
    back: (from, n) =>
      new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - 7 * n)),
  },
  {
    name: 'monthly',
    key: (date) => date.toISOString().slice(0, 7),
    back: (from, n) => new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - n, 1)),
  },
  {
    name: 'yearly',
    key: (date) => date.toISOString().slice(0, 4),
    back: (from, n) => new Date(Date.UTC(from.getUTCFullYear() - n, 0, 1)),
  },
];

/** The calendar date a snapshot was taken on, in the offset restic recorded it with (as `forget` counts). */
function snapshotDate(snapshot: Snapshot): Date {
  return new Date(`${snapshot.time.slice(0, 10)}T00:00:00Z`);
}

/**
 * Periods inside the policy's window without any snapshot, e.g. `daily: no snapshot on 2026-03-04`.
 * The window ends at the newest snapshot (freshness judges the time since) and never reaches back
 * before the oldest, so a young repository has no gaps.
 */
export function missingBuckets(snapshots: readonly Snapshot[], policy: RetentionPolicy): string[] {
  if (snapshots.length === 0) return [];
  const dates = snapshots.map(snapshotDate).sort((a, b) => a.getTime() - b.getTime());
  const oldest = dates[0] as Date;
  const newestDate = dates[dates.length - 1] as Date;
  const notes: string[] = [];
  for (const bucket of BUCKETS) {
    const count = policy[bucket.name] ?? 0;
    const held = new Set(dates.map((date) => bucket.key(date)));
    const gaps: string[] = [];
    for (let period = 0; period < count; period += 1) {
      const key = bucket.key(bucket.back(newestDate, period));
      if (key < bucket.key(oldest)) break;
      if (!held.has(key)) gaps.push(key);
    }
    if (gaps.length > 0) notes.push(`${bucket.name}: no snapshot in ${gaps.reverse().join(', ')}`);
  }
  return notes;
}

interface RetentionTarget {
  label?: string;
  policy: RetentionPolicy;
  filter: RetentionFilter;
  snapshots: Snapshot[];
}

function retentionTargets(context: CheckContext): RetentionTarget[] {
  const { plan, snapshots } = context;
  if (plan.groups.length === 0) {
    return plan.policy ? [{ policy: plan.policy, filter: {}, snapshots }] : [];
  }
  return plan.groups.flatMap((group) => {
    const policy = group.policy ?? plan.policy;
    if (!policy) return [];
    const filter: RetentionFilter = {
      ...(group.host !== undefined ? { host: group.host } : {}),
      ...(group.tags !== undefined ? { tags: group.tags } : {}),
      ...(group.pathRole === 'select' && group.paths !== undefined ? { paths: group.paths } : {}),
    };
    return [
      {
        label: groupLabel(group),
        policy,
        filter,
        snapshots: snapshots.filter((s) => matchesGroup(s, group)),
      },
    ];
  });
}

function forgetGroupLabel(group: ForgetGroup): string {
  return groupLabel({
    ...(group.host ? { host: group.host } : {}),
    ...(group.tags ? { tags: group.tags } : {}),
    ...(group.paths ? { paths: group.paths } : {}),
  });
}

/**
 * `forget --dry-run` with the expected policy: any snapshot it would remove means pruning is not
 * running (or runs another policy). Periods without a snapshot are reported as notes.
 */
export async function retentionCheck(context: CheckContext): Promise<CheckRun> {
  const targets = retentionTargets(context);
  if (targets.length === 0) {
    return { report: { check: 'retention', status: 'not-run', detail: 'no policy' }, failures: [] };
  }
  const failures: CheckFailure[] = [];
  const notes: string[] = [];
  let extra = 0;
  for (const target of targets) {
    const groups = await context.restic.forgetDryRun(keepArgs(target.policy), target.filter);
    for (const group of groups) {
      const remove = group.remove ?? [];
      if (remove.length === 0) continue;
      extra += remove.length;
      const label = target.label ?? forgetGroupLabel(group);
      const oldest = [...remove].sort((a, b) => a.time.localeCompare(b.time))[0] as Snapshot;
      failures.push({
        group: label,
        check: 'retention',
        kind: 'retention',
        message:
          `${remove.length} snapshot(s) of ${label} are outside the policy (${describePolicy(target.policy)}) ` +
          `and should have been removed: pruning is not running. Oldest: ${shortId(oldest)} from ${oldest.time.slice(0, 10)}`,
      });
    }
    for (const note of missingBuckets(target.snapshots, target.policy)) {
      notes.push(target.label ? `${target.label}: ${note}` : note);
    }
  }
  return {
    report: {
      check: 'retention',
      status: failures.length > 0 ? 'failed' : 'passed',
      detail:
        extra > 0 ? `${extra} beyond policy` : notes.length > 0 ? `${notes.length} gap(s)` : 'as policy',
      ...(notes.length > 0 ? { notes } : {}),
    },
    failures,
  };
}

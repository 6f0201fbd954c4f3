import { formatDuration } from '../core/markdown.js';
import type { GroupExpectation, RepositoryPlan } from './plan.js';
import { groupLabel } from './plan.js';
import type { Snapshot } from './restic.js';
import type { CheckFailure, CheckRun, GroupReport } from './verification.js';

/** How the newest snapshot of one group compares with what is expected of it. */
export interface GroupFreshness {
  label: string;
  /** Absent for a group found in the repository when the plan names none. */
  expectation?: GroupExpectation;
  latest?: Snapshot;
  ageMs?: number;
  maxAgeMs: number;
  snapshotCount: number;
  stale: boolean;
  /** Paths the Nix configuration backs up that the newest snapshot lacks, and the reverse. */
  drift?: { missing: string[]; unexpected: string[] };
}

export function snapshotTime(snapshot: Snapshot): number {
  return Date.parse(snapshot.time);
}

/** Like restic's `--host`, `--tag a,b` (all of them) and `--path` (all of them) filters together. */
export function matchesGroup(snapshot: Snapshot, group: GroupExpectation): boolean {
  if (group.host !== undefined && snapshot.hostname !== group.host) return false;
  if (group.tags && !group.tags.every((tag) => snapshot.tags?.includes(tag))) return false;
  if (
    group.pathRole === 'select' &&
    group.paths &&
    !group.paths.every((path) => snapshot.paths.includes(path))
  ) {
    return false;
  }
  return true;
}

export function newest(snapshots: readonly Snapshot[]): Snapshot | undefined {
  let found: Snapshot | undefined;
  for (const snapshot of snapshots) {
    if (!found || snapshotTime(snapshot) > snapshotTime(found)) found = snapshot;
  }
  return found;
}

function observedKey(snapshot: Snapshot): string {
  return JSON.stringify([snapshot.hostname, [...(snapshot.tags ?? [])].sort(), [...snapshot.paths].sort()]);
}

interface GroupSnapshots {
  group: GroupExpectation;
  matching: Snapshot[];
}

/** Every (host, tags, paths) combination the repository holds, for plans that name no groups. */
function observedGroups(snapshots: readonly Snapshot[], maxAgeMs: number): GroupSnapshots[] {
  const groups = new Map<string, GroupSnapshots>();
  for (const snapshot of snapshots) {
    const key = observedKey(snapshot);
    const known = groups.get(key);
    if (known) {
      known.matching.push(snapshot);
      continue;
    }
    const tags = [...(snapshot.tags ?? [])].sort();
    const group: GroupExpectation = {
      host: snapshot.hostname,
      ...(tags.length > 0 ? { tags } : {}),
      paths: [...snapshot.paths].sort(),
      pathRole: 'select',
      maxAgeMs,
      source: 'config',
    };
    groups.set(key, { group, matching: [snapshot] });
  }
  return [...groups.values()];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/**
 * Judges the LATEST snapshot of every expected group (an old snapshot of a group says nothing about
 * whether its backups still run). Without expectations, every (host, tags, paths) combination found
 * in the repository is judged against the repository's `max-age`.
 */
export function judgeFreshness(
  snapshots: readonly Snapshot[],
  plan: RepositoryPlan,
  now: number,
): GroupFreshness[] {
  const observed = plan.groups.length === 0;
  const groups = observed
    ? observedGroups(snapshots, plan.maxAgeMs)
    : plan.groups.map((group) => ({ group, matching: snapshots.filter((s) => matchesGroup(s, group)) }));
  return groups.map(({ group, matching }) => {
    const latest = newest(matching);
    const ageMs = latest ? Math.max(0, now - snapshotTime(latest)) : undefined;
    const judged: GroupFreshness = {
      label: groupLabel(group),
      ...(observed ? {} : { expectation: group }),
      ...(latest ? { latest, ageMs } : {}),
      maxAgeMs: group.maxAgeMs,
      snapshotCount: matching.length,
      stale: ageMs !== undefined && ageMs > group.maxAgeMs,
    };
    if (latest && group.pathRole === 'expect' && group.paths && !sameSet(latest.paths, group.paths)) {
      judged.drift = {
        missing: group.paths.filter((path) => !latest.paths.includes(path)),
        unexpected: latest.paths.filter((path) => !group.paths?.includes(path)),
      };
    }
    return judged;
  });
}

export function groupReport(judged: GroupFreshness): GroupReport {
  const status = !judged.latest ? 'missing' : judged.drift ? 'drifted' : judged.stale ? 'stale' : 'fresh';
  return {
    label: judged.label,
    ...(judged.latest
      ? { latestSnapshot: shortId(judged.latest), latestTime: judged.latest.time, ageMs: judged.ageMs }
      : {}),
    maxAgeMs: judged.maxAgeMs,
    snapshots: judged.snapshotCount,
    status,
  };
}

export function shortId(snapshot: Snapshot): string {
  return snapshot.short_id ?? snapshot.id.slice(0, 8);
}

/** The freshness check: a missing group, a drifted one and a stale one each fail it. */
export function freshnessCheck(judged: readonly GroupFreshness[], observed: boolean): CheckRun {
  const failures: CheckFailure[] = [];
  if (judged.length === 0 && observed) {
    failures.push({
      check: 'freshness',
      kind: 'missing-group',
      message: 'the repository holds no snapshot at all',
    });
  }
  for (const group of judged) {
    const { latest } = group;
    if (!latest) {
      failures.push({
        group: group.label,
        check: 'freshness',
        kind: 'missing-group',
        message: `no snapshot of ${group.label} in the repository${sourceNote(group)}`,
      });
      continue;
    }
    if (group.drift) {
      const { missing, unexpected } = group.drift;
      const differences = [
        ...(missing.length > 0 ? [`lacks ${missing.join(', ')}`] : []),
        ...(unexpected.length > 0 ? [`holds ${unexpected.join(', ')} instead`] : []),
      ];
      failures.push({
        group: group.label,
        check: 'freshness',
        kind: 'missing-group',
        message:
          `paths drifted: the latest snapshot ${shortId(latest)} of ${group.label} ${differences.join(' and ')}` +
          `; the Nix configuration backs up ${group.expectation?.paths?.join(', ')}`,
      });
    }
    if (group.stale && group.ageMs !== undefined) {
      failures.push({
        group: group.label,
        check: 'freshness',
        kind: 'stale',
        message:
          `the latest snapshot ${shortId(latest)} of ${group.label} is ${formatDuration(group.ageMs)} old ` +
          `(${latest.time.slice(0, 16).replace('T', ' ')}); at most ${formatDuration(group.maxAgeMs)} is allowed`,
      });
    }
  }
  const fresh = judged.filter((group) => group.latest && !group.stale && !group.drift).length;
  return {
    report: {
      check: 'freshness',
      status: failures.length > 0 ? 'failed' : 'passed',
      detail: `${fresh}/${judged.length} groups fresh`,
    },
    failures,
  };
}

function sourceNote(group: GroupFreshness): string {
  const source = group.expectation?.source;
  if (source === 'flake') return ' although the flake configures this backup';
  if (source === 'services-json') return ' although services-json enables this backup';
  return '';
}

import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../core/errors.js';
import { formatDuration } from '../core/markdown.js';
import type { CheckContext, CheckFailure, CheckRun } from './check-run.js';
import { compareContent, SnapshotTrees } from './content.js';
import { newest, shortId } from './freshness.js';
import type { Snapshot, SnapshotNode } from './restic.js';

/** restic's `--include` takes glob patterns; a path with glob characters could match other files. */
const GLOB = /[*?[\]\\]/;

/**
 * Picks `count` files to restore: a different sample each UTC day (ordered by a hash of day and
 * path), so repeated runs cover more of the snapshot. Empty files prove nothing and come last.
 */
export function pickSample(nodes: readonly SnapshotNode[], count: number, day: string): SnapshotNode[] {
  const rank = (node: SnapshotNode) =>
    `${(node.size ?? 0) > 0 ? 0 : 1}${createHash('sha256').update(`${day}\n${node.path}`).digest('hex')}`;
  return nodes
    .filter((node) => node.type === 'file' && !GLOB.test(node.path))
    .map((node) => ({ node, key: rank(node) }))
    .sort((a, b) => a.key.localeCompare(b.key))
    .slice(0, count)
    .map(({ node }) => node);
}

/** When the canary says it was written: epoch seconds or milliseconds, or a date `Date` can read. */
export function canaryTime(content: string): number | undefined {
  const text = content.trim();
  if (/^\d{9,11}$/.test(text)) return Number(text) * 1000;
  if (/^\d{12,14}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

interface SampleTally {
  files: number;
  hashed: number;
}

async function restoreSample(
  context: CheckContext,
  trees: SnapshotTrees,
  label: string,
  snapshot: Snapshot,
  failures: CheckFailure[],
  notes: string[],
  tally: SampleTally,
): Promise<void> {
  const { restic, plan } = context;
  const files = pickSample(
    await restic.ls(snapshot.id),
    plan.restore.sample,
    new Date(context.now).toISOString().slice(0, 10),
  );
  if (files.length === 0) {
    notes.push(`${label}: snapshot ${shortId(snapshot)} holds no file to restore`);
    return;
  }
  const fail = (message: string) =>
    failures.push({ group: label, check: 'restore', kind: 'restore', message });
  const target = join(context.scratchDir, `restore-${snapshot.id.slice(0, 12)}`);
  try {
    const outcome = await restic.restore(
      snapshot.id,
      target,
      files.map((file) => file.path),
    );
    if (!outcome.ok) {
      fail(
        `restoring ${files.length} file(s) of ${label} from ${shortId(snapshot)} failed: ${outcome.errors.slice(0, 3).map(oneLine).join('; ')}`,
      );
      return;
    }
    for (const file of files) {
      const restored = join(target, file.path);
      const size = await stat(restored).then(
        (info) => info.size,
        () => undefined,
      );
      if (size === undefined) {
        fail(`${file.path} from ${shortId(snapshot)} (${label}) was not restored`);
        continue;
      }
      if (file.size !== undefined && size !== file.size) {
        fail(
          `${file.path} from ${shortId(snapshot)} (${label}) restored with ${size} bytes; the snapshot records ${file.size}`,
        );
        continue;
      }
      tally.files += 1;
      const node = await trees.node(snapshot.tree, file.path);
      const content = node?.content ?? [];
      if (content.length === 0) continue;
      const verdict = await compareContent(restored, content, trees);
      if (verdict.verdict === 'match') tally.hashed += 1;
      else if (verdict.verdict === 'mismatch') {
        fail(
          `${file.path} from ${shortId(snapshot)} (${label}) restored with content that does not hash to blob ${verdict.blob} of ${verdict.blobs} the snapshot records`,
        );
      } else notes.push(`${file.path}: sizes compared, no hash (${verdict.reason})`);
    }
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}

/** The newest snapshot that backs up the canary, and the backed-up path that holds it. */
function canaryHolder(snapshots: readonly Snapshot[], canary: string): Snapshot | undefined {
  const holds = (root: string) =>
    canary === root || canary.startsWith(root.endsWith('/') ? root : `${root}/`);
  return newest(snapshots.filter((snapshot) => snapshot.paths.some(holds)));
}

async function checkCanary(
  context: CheckContext,
  trees: SnapshotTrees,
  canary: string,
  failures: CheckFailure[],
): Promise<string> {
  const { restic, plan } = context;
  const holder = canaryHolder(context.snapshots, canary);
  if (!holder) {
    failures.push({
      check: 'restore',
      kind: 'restore',
      message: `no snapshot backs up the canary ${canary}`,
    });
    return 'canary missing';
  }
  const content = await restic.dumpLatest(canary, { host: holder.hostname, paths: holder.paths });
  let written = canaryTime(content);
  let basis = 'its content';
  if (written === undefined) {
    const node = await trees.node(holder.tree, canary);
    written = node?.mtime ? Date.parse(node.mtime) : undefined;
    basis = 'its modification time';
  }
  if (written === undefined) {
    failures.push({
      check: 'restore',
      kind: 'restore',
      message: `the canary ${canary} in ${shortId(holder)} carries no time`,
    });
    return 'canary without time';
  }
  const age = Math.max(0, context.now - written);
  if (age > plan.restore.canaryMaxAgeMs) {
    failures.push({
      check: 'restore',
      kind: 'stale',
      message:
        `the canary ${canary} read back from ${shortId(holder)} was written ${formatDuration(age)} ago (by ${basis}); ` +
        `at most ${formatDuration(plan.restore.canaryMaxAgeMs)} is allowed: the backup runs but saves stale data`,
    });
  }
  return `canary ${formatDuration(age)} old`;
}

/**
 * Restores `sample` files of every group's latest snapshot with `--verify`, compares each file's size
 * and (blob by blob) its SHA-256 with the snapshot's records, then reads the canary back with
 * `dump latest`. Restored files are removed as soon as they are compared.
 */
export async function restoreCheck(context: CheckContext): Promise<CheckRun> {
  const failures: CheckFailure[] = [];
  const notes: string[] = [];
  const tally: SampleTally = { files: 0, hashed: 0 };
  const seen = new Set<string>();
  // Snapshots of one repository share most trees and the index: each is read once per run.
  const trees = new SnapshotTrees(context.restic);
  if (context.plan.restore.sample > 0) {
    for (const group of context.freshness) {
      if (!group.latest || seen.has(group.latest.id)) continue;
      seen.add(group.latest.id);
      await restoreSample(context, trees, group.label, group.latest, failures, notes, tally);
    }
  }
  const canary = context.plan.restore.canary;
  const canaryCell = canary ? await checkCanary(context, trees, canary, failures) : undefined;
  const parts = [
    ...(context.plan.restore.sample > 0 ? [`${tally.files} files, ${tally.hashed} hashed`] : []),
    ...(canaryCell ? [canaryCell] : []),
  ];
  if (parts.length === 0) {
    return { report: { check: 'restore', status: 'not-run', detail: 'sample 0, no canary' }, failures };
  }
  return {
    report: {
      check: 'restore',
      status: failures.length > 0 ? 'failed' : 'passed',
      detail: parts.join(', '),
      ...(notes.length > 0 ? { notes } : {}),
    },
    failures,
  };
}

import {
  type FlakeLock,
  type InputPath,
  type LockNode,
  printInputPath,
  type SourceAttrs,
  sourceLabel,
} from '../nix/lock-file.js';
import { commitUrl, compareUrl, forgeRepository, repositoryUrl } from './forges.js';
import { branchLabel, type SourceSwitch, sourceSwitch } from './sources.js';

/** Where an input was locked: a revision, its date and its source. */
export interface LockedRevision {
  rev?: string;
  /** ISO 8601, from the lock's `lastModified`. */
  date?: string;
  /** The branch or tag the lock names, when it names one, as a reader writes it (`main`). */
  ref?: string;
  narHash?: string;
  /** The fetcher and location: `github:NixOS/nixpkgs`, `git+ssh://git@host/o/r`. */
  source?: string;
  /** When the row's first path follows another input on this side: the followed input path. */
  follows?: InputPath;
}

/**
 * `source-changed`: the input now comes from another repository, or from the same revision
 * reached another way (another fetcher, another spelling).
 */
export type ChangeKind = 'updated' | 'added' | 'removed' | 'source-changed';

/** A path of the row that followed another input before or follows one now, and not the same one. */
export interface FollowsChange {
  path: InputPath;
  from?: InputPath;
  to?: InputPath;
}

/**
 * One locked node that moved, appeared or disappeared, with every input path that reaches it. Nodes
 * locked alike (same source, revision and hash) under different keys count as one node.
 */
export interface InputChange {
  /** The row's first path: `nixpkgs`, or `home-manager/nixpkgs` for an input of an input. */
  input: InputPath;
  /** Every path resolving to this node on both sides, `input` first. */
  paths: InputPath[];
  /** Whether one of the paths is an input of the flake itself. */
  direct: boolean;
  kind: ChangeKind;
  /** The fetcher type: `github`, `gitlab`, `sourcehut`, `git`, `tarball`, `path`, … */
  type: string;
  from?: LockedRevision;
  to?: LockedRevision;
  /** Paths whose `follows` target changed. */
  follows?: FollowsChange[];
  /** Set when the source changed: from where, to where, and whether it is still the same repository. */
  source?: SourceSwitch;
  /** Calendar days from the old revision's date to the new one's, as the two dates read. */
  daysGained?: number;
  /** The forge page showing the change: a compare view, or the new (or removed) commit. */
  url?: string;
  /** For a source change: each side's commit on its own forge. */
  commits?: { from?: string; to?: string };
}

export interface LockDiff {
  direct: InputChange[];
  transitive: InputChange[];
}

const DAY_SECONDS = 86_400;

export function isEmptyDiff(diff: LockDiff): boolean {
  return diff.direct.length === 0 && diff.transitive.length === 0;
}

const MOVING_ATTRIBUTES = ['rev', 'narHash', 'lastModified'] as const;

/**
 * The one rule for "this input moved": its locked `rev`, `narHash` or `lastModified` changed. Other
 * attributes may be rewritten without a move (Nix 2.2x turns `ref: main` into `refs/heads/main`).
 */
export function lockedNodeMoved(a: SourceAttrs, b: SourceAttrs): boolean {
  return MOVING_ATTRIBUTES.some((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]));
}

/** Two nodes are the same locked node when neither moved nor changed source. */
export function sameLockedNode(a: LockNode, b: LockNode): boolean {
  return nodeIdentity(a) === nodeIdentity(b);
}

/** What makes two nodes (under different keys, or in two locks) the same locked node. */
function nodeIdentity(node: LockNode): string {
  const known = identities.get(node);
  if (known !== undefined) return known;
  const moving = MOVING_ATTRIBUTES.map((name) => node.locked?.[name]);
  const identity = node.locked
    ? JSON.stringify([sourceLabel(node.locked, node.original), ...moving])
    : JSON.stringify(node);
  identities.set(node, identity);
  return identity;
}

/** A node is reached by many paths; its identity is worked out once. */
const identities = new WeakMap<LockNode, string>();

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function revisionOf(node: LockNode, follows: InputPath | undefined): LockedRevision {
  const locked = node.locked;
  const ref = typeof node.original?.ref === 'string' ? node.original.ref : locked?.ref;
  return {
    ...(locked?.rev ? { rev: locked.rev } : {}),
    ...(typeof locked?.lastModified === 'number' ? { date: isoDate(locked.lastModified) } : {}),
    ...(typeof ref === 'string' ? { ref: branchLabel(ref) } : {}),
    ...(typeof locked?.narHash === 'string' ? { narHash: locked.narHash } : {}),
    ...(locked ? { source: sourceLabel(locked, node.original) } : {}),
    ...(follows !== undefined ? { follows } : {}),
  };
}

/** Days between the dates a reader sees (UTC calendar days), so `08-19 → 08-22` reads +3. */
function calendarDaysBetween(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const day = (date: string) => Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / 1000 / DAY_SECONDS;
  return day(to) - day(from);
}

function pageOf(node: LockNode | undefined): string | undefined {
  if (!node?.locked) return undefined;
  const repository = forgeRepository(node.locked, node.original);
  if (!repository) return undefined;
  return node.locked.rev ? commitUrl(repository, node.locked.rev) : repositoryUrl(repository);
}

function links(
  kind: ChangeKind,
  old: LockNode | undefined,
  now: LockNode | undefined,
): Pick<InputChange, 'url' | 'commits'> {
  if (kind === 'source-changed') {
    const from = pageOf(old);
    const to = pageOf(now);
    const commits = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
    return { ...(to ? { url: to } : {}), ...(from || to ? { commits } : {}) };
  }
  if (kind === 'updated' && old?.locked?.rev && now?.locked?.rev) {
    const repository = forgeRepository(now.locked, now.original);
    if (repository) return { url: compareUrl(repository, old.locked.rev, now.locked.rev) };
  }
  const url = pageOf(now) ?? pageOf(old);
  return url ? { url } : {};
}

function followsOf(lock: FlakeLock, path: readonly string[]): InputPath | undefined {
  const edge = lock.edge(path);
  return edge && 'follows' in edge ? printInputPath(edge.follows) : undefined;
}

interface Row {
  old?: { key: string; node: LockNode };
  now?: { key: string; node: LockNode };
  paths: { path: InputPath; from?: InputPath; to?: InputPath }[];
}

/** Shallow paths first; at one depth a path that owns the node before one that follows it. */
function pathOrder(a: Row['paths'][number], b: Row['paths'][number]): number {
  const depth = a.path.split('/').length - b.path.split('/').length;
  if (depth !== 0) return depth;
  const follows = Number((a.to ?? a.from) !== undefined) - Number((b.to ?? b.from) !== undefined);
  if (follows !== 0) return follows;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function changeOf(row: Row): InputChange {
  const { old, now } = row;
  const paths = [...row.paths].sort(pathOrder);
  const first = paths[0] as Row['paths'][number];
  const switched =
    old?.node.locked && now?.node.locked
      ? sourceSwitch(
          { locked: old.node.locked, ...(old.node.original ? { original: old.node.original } : {}) },
          { locked: now.node.locked, ...(now.node.original ? { original: now.node.original } : {}) },
        )
      : undefined;
  const moved =
    old?.node.locked && now?.node.locked ? lockedNodeMoved(old.node.locked, now.node.locked) : true;
  const kind: ChangeKind = !old
    ? 'added'
    : !now
      ? 'removed'
      : switched && (!switched.sameRepository || !moved)
        ? 'source-changed'
        : 'updated';
  const from = old ? revisionOf(old.node, first.from) : undefined;
  const to = now ? revisionOf(now.node, first.to) : undefined;
  const follows = paths
    .filter((entry) => old && now && entry.from !== entry.to)
    .map((entry) => ({
      path: entry.path,
      ...(entry.from !== undefined ? { from: entry.from } : {}),
      ...(entry.to !== undefined ? { to: entry.to } : {}),
    }));
  const days = calendarDaysBetween(from?.date, to?.date);
  return {
    input: first.path,
    paths: paths.map((entry) => entry.path),
    direct: paths.some((entry) => !entry.path.includes('/')),
    kind,
    type: now?.node.locked?.type ?? old?.node.locked?.type ?? 'unknown',
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(follows.length > 0 ? { follows } : {}),
    ...(switched ? { source: switched } : {}),
    ...(days !== undefined ? { daysGained: days } : {}),
    ...links(kind, old?.node, now?.node),
  };
}

/**
 * What changed from one lock to the next. Every input path is resolved on both sides (through
 * `follows`); a path is listed only when the locked node it resolves to moved, changed source,
 * appeared or disappeared. Paths reaching the same node on both sides share one row, so a node
 * reached by five paths is one row naming five paths, and a path whose `follows` merely points
 * elsewhere at an unchanged node is not listed at all.
 */
export function diffLocks(oldLock: FlakeLock, newLock: FlakeLock): LockDiff {
  const paths = new Set([...oldLock.inputPaths().keys(), ...newLock.inputPaths().keys()]);
  const rows = new Map<string, Row>();
  for (const path of paths) {
    const names = path.split('/');
    const old = oldLock.resolve(names);
    const now = newLock.resolve(names);
    if (!old && !now) continue;
    if (old && now && sameLockedNode(old.node, now.node)) continue;
    const rowKey = `${old ? nodeIdentity(old.node) : ''}\u0000${now ? nodeIdentity(now.node) : ''}`;
    const row = rows.get(rowKey) ?? { ...(old ? { old } : {}), ...(now ? { now } : {}), paths: [] };
    rows.set(rowKey, row);
    const from = old ? followsOf(oldLock, names) : undefined;
    const to = now ? followsOf(newLock, names) : undefined;
    row.paths.push({ path, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  const changes = [...rows.values()]
    .map(changeOf)
    .sort((a, b) => (a.input < b.input ? -1 : a.input > b.input ? 1 : 0));
  return {
    direct: changes.filter((change) => change.direct),
    transitive: changes.filter((change) => !change.direct),
  };
}

/** An input whose lock has not moved for a long time: perhaps it follows a dead branch. */
export interface StaleInput {
  input: string;
  rev?: string;
  date: string;
  ageDays: number;
  url?: string;
}

/**
 * Direct inputs locked to a revision older than `staleDays`. Inputs pinned to a revision in
 * flake.nix are left out: they are old on purpose.
 */
export function staleInputs(
  lock: FlakeLock,
  staleDays: number,
  now: Date,
  only?: readonly string[],
): StaleInput[] {
  if (staleDays <= 0) return [];
  const stale: StaleInput[] = [];
  for (const input of lock.directInputNames()) {
    if (only && !only.includes(input)) continue;
    const edge = lock.root.inputs[input];
    if (typeof edge !== 'string') continue;
    const node = lock.node(edge);
    const locked = node?.locked;
    if (!locked || typeof locked.lastModified !== 'number' || typeof node?.original?.rev === 'string')
      continue;
    const ageDays = (now.getTime() / 1000 - locked.lastModified) / DAY_SECONDS;
    if (ageDays <= staleDays) continue;
    const repository = forgeRepository(locked, node?.original);
    stale.push({
      input,
      ...(locked.rev ? { rev: locked.rev } : {}),
      date: new Date(locked.lastModified * 1000).toISOString().replace('.000Z', 'Z'),
      ageDays: Math.floor(ageDays),
      ...(repository
        ? { url: locked.rev ? commitUrl(repository, locked.rev) : repositoryUrl(repository) }
        : {}),
    });
  }
  return stale;
}

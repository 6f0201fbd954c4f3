import { commitUrl, compareUrl, forgeRepository, repositoryUrl } from './forges.js';
import { type FlakeLock, type InputPath, type LockEdge, type SourceAttrs, sameSource } from './lock-file.js';

/** Where an input was locked: a revision and its date, or the input it follows. */
export interface LockedRevision {
  rev?: string;
  /** ISO 8601, from the lock's `lastModified`. */
  date?: string;
  /** The branch or tag the lock names, when it names one. */
  ref?: string;
  narHash?: string;
  /** For an input that follows another: the followed input path. */
  follows?: InputPath;
}

export type ChangeKind = 'updated' | 'added' | 'removed';

export interface InputChange {
  /** `nixpkgs`, or `home-manager/nixpkgs` for an input of an input. */
  input: InputPath;
  direct: boolean;
  kind: ChangeKind;
  /** The fetcher type: `github`, `gitlab`, `sourcehut`, `git`, `tarball`, `path`, … */
  type: string;
  from?: LockedRevision;
  to?: LockedRevision;
  /** Days between the two revisions' dates; negative when the input moved back in time. */
  daysGained?: number;
  /** The forge page showing the change: a compare view, or the new commit for an added input. */
  url?: string;
}

export interface LockDiff {
  direct: InputChange[];
  transitive: InputChange[];
}

const DAY_SECONDS = 86_400;

export function isEmptyDiff(diff: LockDiff): boolean {
  return diff.direct.length === 0 && diff.transitive.length === 0;
}

function revisionOf(lock: FlakeLock, edge: LockEdge): { revision: LockedRevision; source?: SourceAttrs } {
  if ('follows' in edge) return { revision: { follows: edge.follows.join('/') } };
  const node = lock.node(edge.key);
  const locked = node?.locked;
  if (!locked) return { revision: {} };
  const ref = typeof node?.original?.ref === 'string' ? node.original.ref : locked.ref;
  return {
    revision: {
      ...(locked.rev ? { rev: locked.rev } : {}),
      ...(typeof locked.lastModified === 'number'
        ? { date: new Date(locked.lastModified * 1000).toISOString().replace('.000Z', 'Z') }
        : {}),
      ...(typeof ref === 'string' ? { ref: shortRef(ref) } : {}),
      ...(typeof locked.narHash === 'string' ? { narHash: locked.narHash } : {}),
    },
    source: locked,
  };
}

function originalOf(lock: FlakeLock, edge: LockEdge | undefined): SourceAttrs | undefined {
  return edge && 'key' in edge ? lock.node(edge.key)?.original : undefined;
}

function sameEdge(oldLock: FlakeLock, a: LockEdge, newLock: FlakeLock, b: LockEdge): boolean {
  if ('follows' in a || 'follows' in b) {
    return 'follows' in a && 'follows' in b && a.follows.join('/') === b.follows.join('/');
  }
  return sameLockedRevision(oldLock.node(a.key)?.locked, newLock.node(b.key)?.locked);
}

const MOVING_ATTRIBUTES = ['rev', 'narHash', 'lastModified'] as const;

/**
 * An input moved only when its revision, content hash or date did: Nix ≥ 2.2x rewrites the rest of
 * an older Nix's lock (git `ref: main` becomes `refs/heads/main`) without moving anything.
 */
function sameLockedRevision(a: SourceAttrs | undefined, b: SourceAttrs | undefined): boolean {
  if (!a || !b || !MOVING_ATTRIBUTES.some((key) => key in a || key in b)) return sameSource(a, b);
  return MOVING_ATTRIBUTES.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/** A branch or tag as people name it: `main`, not Nix ≥ 2.2x's `refs/heads/main`. */
function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

function linkFor(
  kind: ChangeKind,
  from: { revision: LockedRevision; source?: SourceAttrs } | undefined,
  to: { revision: LockedRevision; source?: SourceAttrs } | undefined,
  original: SourceAttrs | undefined,
): string | undefined {
  const source = to?.source ?? from?.source;
  if (!source) return undefined;
  const repository = forgeRepository(source, original);
  if (!repository) return undefined;
  const fromRev = from?.revision.rev;
  const toRev = to?.revision.rev;
  if (kind === 'updated' && fromRev && toRev) return compareUrl(repository, fromRev, toRev);
  if (toRev) return commitUrl(repository, toRev);
  return repositoryUrl(repository);
}

function daysBetween(from?: LockedRevision, to?: LockedRevision): number | undefined {
  if (!from?.date || !to?.date) return undefined;
  return (Date.parse(to.date) - Date.parse(from.date)) / 1000 / DAY_SECONDS;
}

/**
 * What changed from one lock to the next, input path by input path, as `nix flake update`
 * reports it, but as data: direct inputs apart from the inputs of inputs.
 */
export function diffLocks(oldLock: FlakeLock, newLock: FlakeLock): LockDiff {
  const before = oldLock.allInputs();
  const after = newLock.allInputs();
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const diff: LockDiff = { direct: [], transitive: [] };
  for (const input of paths) {
    const oldEdge = before.get(input);
    const newEdge = after.get(input);
    if (oldEdge && newEdge && sameEdge(oldLock, oldEdge, newLock, newEdge)) continue;
    const kind: ChangeKind = !oldEdge ? 'added' : !newEdge ? 'removed' : 'updated';
    const from = oldEdge ? revisionOf(oldLock, oldEdge) : undefined;
    const to = newEdge ? revisionOf(newLock, newEdge) : undefined;
    const type = to?.source?.type ?? from?.source?.type ?? 'follows';
    const days = daysBetween(from?.revision, to?.revision);
    const url = linkFor(kind, from, to, originalOf(newLock, newEdge) ?? originalOf(oldLock, oldEdge));
    const change: InputChange = {
      input,
      direct: !input.includes('/'),
      kind,
      type,
      ...(from ? { from: from.revision } : {}),
      ...(to ? { to: to.revision } : {}),
      ...(days !== undefined ? { daysGained: days } : {}),
      ...(url ? { url } : {}),
    };
    (change.direct ? diff.direct : diff.transitive).push(change);
  }
  return diff;
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

import { type ForgeRepository, forgeRepository } from './forges.js';
import type { SourceAttrs } from './lock-file.js';

/**
 * Where a locked node comes from, apart from which revision: the fetcher and its location
 * (`github:NixOS/nixpkgs`, `git+ssh://git@github.com/o/r`). The branch is left out: Nix 2.2x
 * rewrites a git input's `ref` from `main` to `refs/heads/main` without moving it.
 */
export function sourceLabel(locked: SourceAttrs, original?: SourceAttrs): string {
  const text = (name: string) => {
    const value = locked[name] ?? original?.[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const dir = text('dir');
  const inDir = dir ? `?dir=${dir}` : '';
  const { type } = locked;
  if (type === 'github' || type === 'gitlab' || type === 'sourcehut') {
    const host = text('host');
    return `${type}:${host ? `${host}/` : ''}${text('owner') ?? '?'}/${text('repo') ?? '?'}${inDir}`;
  }
  if (type === 'path') return `path:${text('path') ?? '?'}${inDir}`;
  // A tarball's locked URL names the exact file (often the revision itself); the original names the source.
  const url =
    (type === 'tarball' || type === 'file') && typeof original?.url === 'string' ? original.url : text('url');
  const scheme = url && /^[a-z]+\+/.test(url) ? '' : `${type}+`;
  return `${scheme}${url ?? '?'}${inDir}`;
}

/** Forges whose owner and repository names are not case-sensitive: `NixOS/nixpkgs` is `nixos/nixpkgs`. */
const CASE_INSENSITIVE_FORGES = new Set<ForgeRepository['forge']>(['github', 'gitlab', 'gitea']);

/** One key per repository, whatever the fetcher and spelling used to reach it. */
function repositoryKey(locked: SourceAttrs, original?: SourceAttrs): string {
  const repository = forgeRepository(locked, original);
  const dir = typeof locked.dir === 'string' && locked.dir ? `?dir=${locked.dir}` : '';
  if (!repository) return sourceLabel(locked, original);
  const name = `${repository.host}/${repository.owner}/${repository.repo}`;
  return `${CASE_INSENSITIVE_FORGES.has(repository.forge) ? name.toLowerCase() : name}${dir}`;
}

/**
 * How an input's source changed: `spelling` (letter case), `fetcher` (github: to git+https: on the
 * same repository) keep the repository, so a compare view works; `fork` (same name, other owner)
 * and `repository` are another repository, which a compare view cannot span.
 */
export type SourceSwitchKind = 'spelling' | 'fetcher' | 'fork' | 'repository';

export interface SourceSwitch {
  from: string;
  to: string;
  kind: SourceSwitchKind;
  sameRepository: boolean;
}

export function sourceSwitch(
  from: { locked: SourceAttrs; original?: SourceAttrs },
  to: { locked: SourceAttrs; original?: SourceAttrs },
): SourceSwitch | undefined {
  const fromLabel = sourceLabel(from.locked, from.original);
  const toLabel = sourceLabel(to.locked, to.original);
  if (fromLabel === toLabel) return undefined;
  const sameRepository = repositoryKey(from.locked, from.original) === repositoryKey(to.locked, to.original);
  const kind: SourceSwitchKind = sameRepository
    ? fromLabel.toLowerCase() === toLabel.toLowerCase()
      ? 'spelling'
      : 'fetcher'
    : sameNameElsewhere(from, to)
      ? 'fork'
      : 'repository';
  return { from: fromLabel, to: toLabel, kind, sameRepository };
}

function sameNameElsewhere(
  from: { locked: SourceAttrs; original?: SourceAttrs },
  to: { locked: SourceAttrs; original?: SourceAttrs },
): boolean {
  const a = forgeRepository(from.locked, from.original);
  const b = forgeRepository(to.locked, to.original);
  return (
    a !== undefined &&
    b !== undefined &&
    a.host === b.host &&
    a.repo.toLowerCase() === b.repo.toLowerCase() &&
    a.owner.toLowerCase() !== b.owner.toLowerCase()
  );
}

/** A branch as a reader names it: `main`, not `refs/heads/main`. */
export function branchLabel(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

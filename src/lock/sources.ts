import { type SourceAttrs, sourceLabel } from '../nix/lock-file.js';
import { type ForgeRepository, forgeRepository } from './forges.js';

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

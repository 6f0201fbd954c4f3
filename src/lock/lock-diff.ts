import { blocks } from '../core/markdown.js';
import { FlakeLock } from '../nix/lock-file.js';
import { inputsTable, transitiveSection } from './body.js';
import { diffLocks, type InputChange, type LockDiff, type LockedRevision } from './diff.js';

/** A flake.lock's text and how errors name it (`flake.lock at HEAD`, `./old.lock`). */
export interface NamedLock {
  text: string;
  name: string;
}

/** Two lock texts, parsed and diffed: what `flakeflow lock-diff` and lock-update both show. */
export function diffLockTexts(old: NamedLock, now: NamedLock): LockDiff {
  return diffLocks(FlakeLock.parse(old.text, old.name), FlakeLock.parse(now.text, now.name));
}

/** The changes as the pull request body tables them: direct inputs, then inputs of inputs. */
export function lockDiffMarkdown(diff: LockDiff, options: { openTransitive?: boolean } = {}): string {
  return blocks(
    diff.direct.length > 0 && inputsTable(diff.direct, { links: true, bold: true }),
    transitiveSection(diff.transitive, 'table', options.openTransitive ?? false),
  );
}

export interface LockDiffJsonInput {
  path: string;
  paths: string[];
  direct: boolean;
  change: InputChange['kind'];
  type: string;
  from: LockedRevision | null;
  to: LockedRevision | null;
  daysGained: number | null;
  url: string | null;
  source?: InputChange['source'];
  follows?: InputChange['follows'];
  commits?: InputChange['commits'];
}

/** `--json`: one entry per row, direct inputs first, `path` as Nix writes it and `paths` all that reach it. */
export function lockDiffJson(diff: LockDiff): { inputs: LockDiffJsonInput[] } {
  return {
    inputs: [...diff.direct, ...diff.transitive].map((change) => ({
      path: change.input,
      paths: change.paths,
      direct: change.direct,
      change: change.kind,
      type: change.type,
      from: change.from ?? null,
      to: change.to ?? null,
      daysGained: change.daysGained ?? null,
      url: change.url ?? null,
      ...(change.source ? { source: change.source } : {}),
      ...(change.follows ? { follows: change.follows } : {}),
      ...(change.commits ? { commits: change.commits } : {}),
    })),
  };
}

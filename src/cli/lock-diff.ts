import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import type { ProcessRunner } from '../core/process.js';
import { succeeded } from '../core/process.js';
import { CheckoutGit } from '../gate/git.js';
import { followsNote, formatDaysGained, shortRev, sourceNote } from '../lock/body.js';
import type { InputChange, LockDiff, LockedRevision } from '../lock/diff.js';
import { diffLockTexts, lockDiffJson, lockDiffMarkdown, type NamedLock } from '../lock/lock-diff.js';
import { LOCK_FILE } from '../lock/update.js';
import { inlineText } from './markdown-text.js';
import { type Palette, renderColumns } from './terminal.js';

export const LOCK_DIFF_HELP = `Usage: flakeflow lock-diff [OLD] [NEW] [--markdown | --json]

Shows what changed between two flake.locks, as a lock-update pull request would list it: each locked
node that moved, appeared, disappeared or changed source, once, with every input path reaching it.
OLD and NEW are each a path to a flake.lock (or to a directory holding one) or a git revision of the
repository here, read as its flake.lock at that revision. OLD defaults to HEAD, NEW to ./flake.lock.

  --markdown   print the markdown the pull request body would hold
  --json       print {"inputs": [{"path", "paths", "direct", "change", "from", "to", "url", …}]}

Exit status: 0 when both locks were read (whether or not anything changed), 1 when one cannot be.`;

/** A lock named on the command line: a file, a directory holding flake.lock, or a revision. */
export async function readNamedLock(
  argument: string | undefined,
  fallback: 'HEAD' | 'work tree',
  context: { cwd: string; runner: ProcessRunner },
): Promise<NamedLock> {
  if (argument === undefined && fallback === 'work tree') {
    return readLockFile(join(context.cwd, LOCK_FILE), LOCK_FILE);
  }
  const named = argument ?? 'HEAD';
  const path = resolve(context.cwd, named);
  const found = await stat(path).catch(() => undefined);
  if (found?.isDirectory()) return readLockFile(join(path, LOCK_FILE), join(named, LOCK_FILE));
  if (found) return readLockFile(path, named);
  return readLockAtRevision(named, context);
}

async function readLockFile(path: string, shown: string): Promise<NamedLock> {
  try {
    return { text: await readFile(path, 'utf8'), name: shown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    throw new UserError(`${shown} cannot be read (${why ?? (error as Error).message})`);
  }
}

async function readLockAtRevision(
  revision: string,
  context: { cwd: string; runner: ProcessRunner },
): Promise<NamedLock> {
  const git = new CheckoutGit(context.runner, context.cwd);
  const top = await git.topLevel();
  const commit = top ? await git.resolveCommit(revision) : undefined;
  if (!top || !commit) {
    throw new UserError(
      `'${revision}' is neither a file nor a git revision of ${top ? 'this repository' : `a repository (${context.cwd} is not in one)`}`,
    );
  }
  const inRepository = relative(top, join(context.cwd, LOCK_FILE)).split('\\').join('/');
  const name = `${inRepository} at ${revision}`;
  const shown = await context.runner.run('git', ['show', `${commit}:${inRepository}`], { cwd: context.cwd });
  if (!succeeded(shown)) throw new UserError(`${name} cannot be read (the commit has no such file)`);
  return { text: shown.stdout, name };
}

function revisionText(revision: LockedRevision | undefined, kind: 'from' | 'to', type: string): string {
  if (!revision) return kind === 'from' ? '(new input)' : '(removed)';
  const id = revision.rev ? shortRev(revision.rev) : (revision.narHash?.slice(7, 15) ?? type);
  return revision.date ? `${id} · ${revision.date.slice(0, 10)}` : id;
}

/** Paths named under a row before the rest are counted. */
const PATHS_NAMED = 10;

function alsoList(paths: readonly string[]): string {
  const named = paths.slice(0, PATHS_NAMED).join(', ');
  return paths.length > PATHS_NAMED ? `${named} and ${paths.length - PATHS_NAMED} more` : named;
}

function changeLines(changes: readonly InputChange[], width: number, colours: Palette): string[] {
  if (changes.length === 0) return [];
  const rows = changes.map((change) => {
    const ref = change.to ? change.to.ref : change.from?.ref;
    return [
      `${change.input}${ref ? ` (${ref})` : ''}`,
      revisionText(change.from, 'from', change.type),
      revisionText(change.to, 'to', change.type),
      formatDaysGained(change.daysGained),
      change.kind,
    ];
  });
  const [header, ...lines] = renderColumns(
    { header: ['input', 'from', 'to', 'days', 'change'], rows },
    width,
    colours,
  );
  const out = [header as string];
  changes.forEach((change, index) => {
    out.push(lines[index] as string);
    const notes = [
      ...(change.paths.length > 1 ? [`also ${alsoList(change.paths.slice(1))}`] : []),
      ...(change.source ? [sourceNote(change) as string] : []),
      ...(change.follows ?? []).map(followsNote),
      ...(change.commits
        ? [change.commits.from, change.commits.to].filter((url): url is string => url !== undefined)
        : change.url
          ? [change.url]
          : []),
    ];
    for (const note of notes) out.push(colours.dim(`      ${inlineText(note)}`));
  });
  return out;
}

/** The diff as terminal text: a headline, the direct inputs, then the inputs of inputs. */
export function lockDiffText(
  diff: LockDiff,
  names: { old: string; now: string },
  width: number,
  colours: Palette,
): string[] {
  const count = diff.direct.length + diff.transitive.length;
  const headline =
    count === 0
      ? `No input moved from ${names.old} to ${names.now}.`
      : `${diff.direct.length} of the flake's inputs${diff.transitive.length > 0 ? ` and ${diff.transitive.length} inputs of inputs` : ''} changed from ${names.old} to ${names.now}.`;
  return [
    colours.bold(headline),
    ...(diff.direct.length > 0 ? ['', ...changeLines(diff.direct, width, colours)] : []),
    ...(diff.transitive.length > 0
      ? ['', colours.bold('Inputs of inputs'), ...changeLines(diff.transitive, width, colours)]
      : []),
  ];
}

export interface LockDiffRun {
  positionals: readonly string[];
  format: 'terminal' | 'markdown' | 'json';
  cwd: string;
  runner: ProcessRunner;
  width: number;
  colours: Palette;
}

/** `flakeflow lock-diff [OLD] [NEW]`: the text to print. */
export async function lockDiffOutput(run: LockDiffRun): Promise<string> {
  if (run.positionals.length > 2) {
    throw new UserError(
      `flakeflow lock-diff takes at most two locks (OLD and NEW), got ${run.positionals.length}: ${run.positionals.join(' ')}`,
    );
  }
  const [oldArgument, newArgument] = run.positionals;
  const old = await readNamedLock(oldArgument, 'HEAD', run);
  const now = await readNamedLock(newArgument, 'work tree', run);
  const diff = diffLockTexts(old, now);
  if (run.format === 'json') return `${JSON.stringify(lockDiffJson(diff), null, 2)}\n`;
  if (run.format === 'markdown') {
    return `${lockDiffMarkdown(diff, { openTransitive: true }) || 'No input moved.'}\n`;
  }
  return `${lockDiffText(diff, { old: old.name, now: now.name }, run.width, run.colours).join('\n')}\n`;
}

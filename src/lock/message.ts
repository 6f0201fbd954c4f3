import { shortRev } from './body.js';
import type { InputChange, LockDiff, LockedRevision } from './diff.js';

const MESSAGE_LINES = 100;

export interface CommitMessage {
  headline: string;
  body: string;
}

function describe(revision: LockedRevision | undefined): string {
  if (!revision) return '(none)';
  const id = revision.rev ? shortRev(revision.rev) : (revision.narHash ?? '?');
  return revision.date ? `${id} (${revision.date.slice(0, 10)})` : id;
}

function line(change: InputChange): string {
  const others = change.paths.length > 1 ? ` (and ${change.paths.length - 1} more paths)` : '';
  const input = `'${change.input}'${others}`;
  if (change.kind === 'added') return `• Added input ${input}: ${describe(change.to)}`;
  if (change.kind === 'removed') return `• Removed input ${input}`;
  if (change.kind === 'source-changed' && change.source) {
    return `• Changed source of input ${input}: ${change.source.from} → ${change.source.to} (${describe(change.from)} → ${describe(change.to)})`;
  }
  return `• Updated input ${input}: ${describe(change.from)} → ${describe(change.to)}`;
}

/** `flake.lock: update`, plus the group when there are groups. */
export function withGroup(text: string, group: string | undefined): string {
  return group ? `${text} (${group})` : text;
}

/** The update commit's message: the headline, then one line per input, as `nix flake update` lists them. */
export function commitMessage(headline: string, group: string | undefined, diff: LockDiff): CommitMessage {
  const changes = [...diff.direct, ...diff.transitive];
  const lines = changes.slice(0, MESSAGE_LINES).map(line);
  if (changes.length > MESSAGE_LINES) lines.push(`…and ${changes.length - MESSAGE_LINES} more`);
  return { headline: withGroup(headline, group), body: `Flake lock file updates:\n\n${lines.join('\n')}` };
}

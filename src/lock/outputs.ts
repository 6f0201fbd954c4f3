import type { InputChange } from './diff.js';
import type { GroupOutcome, LockUpdateResult } from './run.js';

/** Output names, as action.yml declares them. */
export const LOCK_UPDATE_OUTPUTS = [
  'changed',
  'updated-inputs',
  'pull-request-number',
  'pull-request-url',
  'pull-request-operation',
  'pull-requests',
  'body',
] as const;

export type LockUpdateOutputs = Record<(typeof LOCK_UPDATE_OUTPUTS)[number], string>;

function updatedInput(change: InputChange, group: string | undefined) {
  return {
    input: change.input,
    paths: change.paths,
    change: change.kind,
    type: change.type,
    from: { rev: change.from?.rev ?? null, date: change.from?.date ?? null },
    to: { rev: change.to?.rev ?? null, date: change.to?.date ?? null },
    url: change.url ?? null,
    direct: change.direct,
    ...(group ? { group } : {}),
  };
}

/** The pull request the single-valued outputs describe: the first one touched, else the first group's. */
function leadingOutcome(groups: readonly GroupOutcome[]): GroupOutcome | undefined {
  return groups.find((outcome) => outcome.publication.pullRequest !== undefined) ?? groups[0];
}

export function lockUpdateOutputs(result: LockUpdateResult): LockUpdateOutputs {
  const changes = result.groups.flatMap((outcome) => {
    const diff = outcome.proposal?.diff;
    return diff
      ? [...diff.direct, ...diff.transitive].map((change) => updatedInput(change, outcome.group))
      : [];
  });
  const lead = leadingOutcome(result.groups);
  const pull = lead?.publication.pullRequest;
  const body = result.groups.find((outcome) => outcome.body !== '')?.body ?? '';
  return {
    changed: String(changes.length > 0),
    'updated-inputs': JSON.stringify(changes),
    'pull-request-number': pull ? String(pull.number) : '',
    'pull-request-url': pull?.url ?? '',
    'pull-request-operation': lead?.publication.operation ?? 'none',
    'pull-requests': JSON.stringify(
      result.groups.map((outcome) => ({
        group: outcome.group ?? null,
        branch: outcome.branch,
        number: outcome.publication.pullRequest?.number ?? null,
        url: outcome.publication.pullRequest?.url ?? null,
        operation: outcome.publication.operation,
        draft: outcome.publication.pullRequest?.draft ?? false,
        autoMerge: outcome.publication.autoMerge,
        dispatched: outcome.publication.dispatched,
      })),
    ),
    body,
  };
}

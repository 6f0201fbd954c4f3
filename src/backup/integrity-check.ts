import { oneLine } from '../core/errors.js';
import type { CheckContext, CheckRun } from './check-run.js';
import { integrityScope, scopeCell } from './integrity.js';

/**
 * `restic check`, reading as much pack data as the repository's `check` says. It is the one command
 * that locks: it waits for the backup timer's lock where restic can (`--retry-lock`, 0.16+), and a lock
 * it cannot get is reported as `locked` by the caller.
 */
export async function integrityCheck(context: CheckContext): Promise<CheckRun> {
  const { plan, now } = context;
  const scope = integrityScope(plan.check, now);
  if (!scope) {
    return { report: { check: 'integrity', status: 'not-run', detail: 'check: none' }, failures: [] };
  }
  const outcome = await context.restic.check(scope.readData, context.lockWait);
  const cell = scopeCell(plan.check, now);
  if (outcome.ok) {
    return {
      report: { check: 'integrity', status: 'passed', detail: cell, notes: [scope.description] },
      failures: [],
    };
  }
  const shown = outcome.errors.slice(0, 5).map((line) => oneLine(line));
  const more = outcome.errors.length > 5 ? ` (and ${outcome.errors.length - 5} more)` : '';
  return {
    report: {
      check: 'integrity',
      status: 'failed',
      detail: cell,
      notes: [scope.description, ...outcome.errors],
    },
    failures: [
      {
        check: 'integrity',
        kind: 'integrity',
        message: `restic check (${scope.description}) found errors: ${shown.join('; ')}${more}`,
      },
    ],
  };
}

/**
 * A mistake the user can fix: bad input, a missing tool, a wrong password.
 * It is reported as one line naming what to fix, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Raised by a capability whose implementation has not landed yet. */
export class NotImplementedError extends UserError {
  constructor(capability: string, issue: number) {
    super(`flakeflow ${capability} is not implemented yet (tracked in issue #${issue}); nothing was done`);
  }
}

export function stringifyError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Collapses a message to the single line a `::error::` command can show. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}

import { UserError } from '../../core/errors.js';
import { normalizePath } from '../globs.js';
import {
  batches,
  type CheckContext,
  type CheckOutcome,
  runTool,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { commandLabel } from '../tool-source.js';

const MESSAGE = /^(Unused|Used) (lambda pattern|lambda argument|let binding|rec attrset): (.+)$/;
/** deadnix's parse errors name a byte range: `unexpected TOKEN_R_BRACE at 5..6, wanted any of […]`. */
const PARSE_ERROR_RANGE = / at (\d+)\.\.(\d+)/;

interface DeadnixResult {
  line?: number;
  column?: number;
  endColumn?: number;
  message?: string;
}

/**
 * Refuses options that would break the gate: it reads deadnix's JSON, and must never edit files.
 */
export function checkDeadnixArgs(args: readonly string[]): void {
  for (const arg of args) {
    const long = /^--(output-format|edit|quiet)(=|$)/.test(arg);
    const short = /^-[^-]/.test(arg) && /[oeq]/.test(arg.slice(1).split('=')[0] as string);
    if (long || short) {
      throw new UserError(
        `Input 'deadnix-args' must not set --output-format, --edit or --quiet (the gate reads deadnix's JSON ` +
          `and never edits), got '${args.join(' ')}'`,
      );
    }
  }
}

/** One compact JSON object per line, only for files with findings; parse errors have no position. */
export function parseDeadnixJson(stdout: string): { findings: ToolFinding[]; unreadable: string[] } {
  const findings: ToolFinding[] = [];
  const unreadable: string[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    let report: { file?: unknown; results?: unknown };
    try {
      report = JSON.parse(text) as { file?: unknown; results?: unknown };
    } catch {
      unreadable.push(text);
      continue;
    }
    if (typeof report.file !== 'string' || !Array.isArray(report.results)) {
      unreadable.push(text);
      continue;
    }
    const path = normalizePath(report.file);
    for (const result of report.results as DeadnixResult[]) findings.push(deadnixFinding(path, result));
  }
  return { findings, unreadable };
}

function deadnixFinding(path: string, result: DeadnixResult): ToolFinding {
  const message = String(result.message ?? 'deadnix reported a problem without a message');
  if (typeof result.line !== 'number') {
    const range = PARSE_ERROR_RANGE.exec(message);
    return {
      check: 'deadnix',
      tool: 'deadnix',
      path,
      severity: 'error',
      rule: 'syntax',
      message: `Syntax error: ${message}`,
      ...(range
        ? { offset: { start: Number(range[1]), end: Number(range[2]) } }
        : /end of file/i.test(message)
          ? { offset: 'end' as const }
          : {}),
    };
  }
  const kind = MESSAGE.exec(message);
  return {
    check: 'deadnix',
    tool: 'deadnix',
    path,
    line: result.line,
    ...(typeof result.column === 'number' ? { column: result.column } : {}),
    endLine: result.line,
    ...(typeof result.endColumn === 'number' ? { endColumn: result.endColumn } : {}),
    severity: 'warning',
    rule: kind ? `${kind[1]} ${kind[2]}`.toLowerCase() : 'dead code',
    message,
  };
}

/** `deadnix -o json <deadnix-args> -- <files>`: `--` ends a user's `--exclude a b` before the paths. */
export function deadnixArgs(userArgs: readonly string[], files: readonly string[]): string[] {
  return ['--output-format', 'json', ...userArgs, '--', ...files];
}

export function runDeadnix(context: CheckContext, userArgs: readonly string[]): Promise<CheckOutcome> {
  return settleCheck('deadnix', 'deadnix', async (transcript) => {
    const outcome = {
      tool: 'deadnix',
      findings: [] as ToolFinding[],
      failures: [] as string[],
      unformatted: [],
    };
    if (context.scope.files.length === 0) return { ...outcome, skipped: 'no .nix files to check' };
    const command = await context.tools.command('deadnix');
    const failOnFindings = userArgs.some((arg) => arg === '--fail' || /^-[^-]*f/.test(arg));
    for (const files of batches(context.scope.files)) {
      const result = await runTool(context, transcript, command, deadnixArgs(userArgs, files));
      const parsed = parseDeadnixJson(result.stdout);
      outcome.findings.push(...parsed.findings);
      const expectedExit = result.exitCode === 0 || (result.exitCode === 1 && failOnFindings);
      if (!expectedExit || result.timedOut) outcome.failures.push(toolFailure(commandLabel(command), result));
      else if (parsed.unreadable.length > 0) {
        outcome.failures.push(
          `deadnix printed output that is not its JSON: ${parsed.unreadable[0]?.slice(0, 200)}`,
        );
      }
    }
    return outcome;
  });
}

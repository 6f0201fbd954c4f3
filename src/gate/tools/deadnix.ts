import { UserError } from '../../core/errors.js';
import { normalizePath } from '../globs.js';
import {
  type CheckContext,
  type CheckOutcome,
  nothingToCheck,
  parseErrorOffset,
  runOverFiles,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { commandLabel } from '../tool-source.js';

const MESSAGE = /^(Unused|Used) (lambda pattern|lambda argument|let binding|rec attrset): (.+)$/;
/** A file deadnix could not read (missing, a directory): it says so in its JSON and exits 0. */
const READ_ERROR = /\(os error \d+\)$/;

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

export interface DeadnixReport {
  findings: ToolFinding[];
  /** Lines that are not deadnix's JSON. */
  unreadable: string[];
  /** Files deadnix could not read, with its message: never a clean result. */
  unread: { path: string; message: string }[];
}

/**
 * One compact JSON object per line, only for files with findings. Parse errors have no position but
 * a byte range (or none, at the end of the file); a missing file is a message too.
 */
export function parseDeadnixJson(stdout: string): DeadnixReport {
  const findings: ToolFinding[] = [];
  const unreadable: string[] = [];
  const unread: DeadnixReport['unread'] = [];
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
    for (const result of report.results as DeadnixResult[]) {
      if (typeof result.line !== 'number' && READ_ERROR.test(String(result.message)))
        unread.push({ path, message: String(result.message) });
      else findings.push(deadnixFinding(path, result));
    }
  }
  return { findings, unreadable, unread };
}

function deadnixFinding(path: string, result: DeadnixResult): ToolFinding {
  const message = String(result.message ?? 'deadnix reported a problem without a message');
  if (typeof result.line !== 'number') {
    return {
      check: 'deadnix',
      tool: 'deadnix',
      path,
      severity: 'error',
      rule: 'syntax',
      message: `Syntax error: ${message}`,
      ...parseErrorOffset(message),
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
    if (context.scope.files.length === 0) return nothingToCheck('deadnix');
    const command = await context.tools.command('deadnix');
    const failOnFindings = userArgs.some((arg) => arg === '--fail' || /^-[^-]*f/.test(arg));
    const gathered = await runOverFiles(
      context,
      transcript,
      command,
      (files) => deadnixArgs(userArgs, files),
      (result) => {
        const parsed = parseDeadnixJson(result.stdout);
        const expectedExit = result.exitCode === 0 || (result.exitCode === 1 && failOnFindings);
        const failure = !expectedExit
          ? toolFailure(commandLabel(command), result)
          : parsed.unreadable.length > 0
            ? `deadnix printed output that is not its JSON: ${parsed.unreadable[0]?.slice(0, 200)}`
            : parsed.unread.length > 0
              ? `deadnix could not read ${parsed.unread.map((file) => `${file.path} (${file.message})`).join(', ')}`
              : undefined;
        return { findings: parsed.findings, ...(failure ? { failure } : {}) };
      },
    );
    return { tool: 'deadnix', findings: gathered.findings, failures: gathered.failures, unformatted: [] };
  });
}

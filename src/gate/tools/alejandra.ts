import { formatCopies } from '../format-diff.js';
import { normalizePath } from '../globs.js';
import {
  type CheckContext,
  type CheckOutcome,
  nothingToCheck,
  parseErrorOffset,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { commandLabel } from '../tool-source.js';

export interface AlejandraReport {
  unformatted: string[];
  /** Files alejandra could not parse, with its message. */
  errors: { path: string; message: string }[];
  /** The `N` of `Checking style in N files using …` (`Formatting in …`): how many of the given paths it found. */
  checked?: number;
}

/**
 * stdout: `Requires formatting: ./x.nix` per file, in any order. stderr: `Checking style in N files
 * using T threads.`, and after `Failed! N errors found at:` one `- path: message` line per file it
 * could not parse (`unexpected TOKEN_R_BRACE at 17..18, …`: a byte range, no line).
 */
export function parseAlejandra(stdout: string, stderr: string): AlejandraReport {
  const unformatted: string[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^Requires formatting: (.+)$/.exec(line.trim());
    if (match) unformatted.push(normalizePath(match[1] as string));
  }
  const errors: { path: string; message: string }[] = [];
  let inErrors = false;
  let checked: number | undefined;
  for (const line of stderr.split('\n')) {
    const count = /^(?:Checking style|Formatting) in (\d+) files? using/.exec(line.trim());
    if (count) checked = Number(count[1]);
    if (/^Failed! \d+ errors? found at:/.test(line.trim())) {
      inErrors = true;
      continue;
    }
    const match = inErrors ? /^- (.+?): (.+)$/.exec(line.trim()) : null;
    if (match) errors.push({ path: normalizePath(match[1] as string), message: match[2] as string });
  }
  return { unformatted, errors, ...(checked === undefined ? {} : { checked }) };
}

/** A file alejandra could not parse, placed by the byte range in its message; `tool` is how it ran. */
export function alejandraSyntaxFinding(
  error: { path: string; message: string },
  tool = 'alejandra',
): ToolFinding {
  return {
    check: 'format',
    tool,
    path: error.path,
    severity: 'error',
    rule: 'syntax',
    message: `alejandra cannot parse this file: ${error.message}`,
    ...parseErrorOffset(error.message),
  };
}

/**
 * Formats copies of the files (format-diff.ts): exit 1 on any parse error, else 0. Always with paths:
 * without one alejandra reads stdin and waits.
 */
export function runAlejandra(context: CheckContext): Promise<CheckOutcome> {
  return settleCheck('format', 'alejandra', async (transcript) => {
    if (context.scope.files.length === 0) return nothingToCheck('alejandra');
    const command = await context.tools.command('alejandra');
    return formatCopies(
      context,
      transcript,
      'alejandra',
      command,
      (files) => ['--', ...files],
      (result, files) => {
        const report = parseAlejandra(result.stdout, result.stderr);
        const reading = { findings: report.errors.map((error) => alejandraSyntaxFinding(error)) };
        // A path that does not exist is silently skipped, down to "Congratulations!" and exit 0.
        if (report.checked !== undefined && report.checked < files.length) {
          return {
            ...reading,
            failure: `alejandra checked ${report.checked} of the ${files.length} files it was given: a path it was given does not exist`,
          };
        }
        const understood = result.exitCode === 0 || (result.exitCode === 1 && report.errors.length > 0);
        return understood ? reading : { ...reading, failure: toolFailure(commandLabel(command), result) };
      },
      // alejandra 4 reads its settings (indentation) from alejandra.toml.
      ['alejandra.toml'],
    );
  });
}

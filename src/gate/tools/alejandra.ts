import { succeeded } from '../../core/process.js';
import { spansFromStdin, unformattedFinding } from '../format-diff.js';
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
import type { ToolCommand } from '../tool-source.js';
import { commandLabel } from '../tool-source.js';

export interface AlejandraReport {
  unformatted: string[];
  /** Files alejandra could not parse, with its message. */
  errors: { path: string; message: string }[];
}

/**
 * stdout: `Requires formatting: ./x.nix` per file, in any order. stderr: progress lines, and after
 * `Failed! N errors found at:` one `- path: message` line per file it could not parse.
 */
export function parseAlejandra(stdout: string, stderr: string): AlejandraReport {
  const unformatted: string[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^Requires formatting: (.+)$/.exec(line.trim());
    if (match) unformatted.push(normalizePath(match[1] as string));
  }
  const errors: { path: string; message: string }[] = [];
  let inErrors = false;
  for (const line of stderr.split('\n')) {
    if (/^Failed! \d+ errors? found at:/.test(line.trim())) {
      inErrors = true;
      continue;
    }
    const match = inErrors ? /^- (.+?): (.+)$/.exec(line.trim()) : null;
    if (match) errors.push({ path: normalizePath(match[1] as string), message: match[2] as string });
  }
  return { unformatted, errors };
}

/** Exit 1 on any error (it wins over 2), 2 when `--check` finds unformatted files, 0 otherwise. */
export function runAlejandra(context: CheckContext): Promise<CheckOutcome> {
  return settleCheck('format', 'alejandra', async (transcript) => {
    const outcome = {
      tool: 'alejandra',
      findings: [] as ToolFinding[],
      failures: [] as string[],
      unformatted: [] as string[],
    };
    if (context.scope.files.length === 0) return { ...outcome, skipped: 'no .nix files to check' };
    const command = await context.tools.command('alejandra');
    const syntaxErrors: { path: string; message: string }[] = [];
    for (const files of batches(context.scope.files)) {
      // Always with paths: without one alejandra reads stdin and waits.
      const result = await runTool(context, transcript, command, ['--check', '--', ...files]);
      const report = parseAlejandra(result.stdout, result.stderr);
      outcome.unformatted.push(...report.unformatted);
      syntaxErrors.push(...report.errors);
      const understood =
        result.exitCode === 0 ||
        (result.exitCode === 2 && report.unformatted.length > 0) ||
        (result.exitCode === 1 && report.errors.length > 0);
      if (!understood || result.timedOut) outcome.failures.push(toolFailure(commandLabel(command), result));
    }
    const spans = await spansFromStdin(context, outcome.unformatted, (content) =>
      formatThroughStdin(context, command, content),
    );
    for (const path of outcome.unformatted)
      outcome.findings.push(unformattedFinding('alejandra', path, spans.get(path)));
    for (const error of syntaxErrors) {
      outcome.findings.push({
        check: 'format',
        tool: 'alejandra',
        path: error.path,
        severity: 'error',
        rule: 'syntax',
        message: `alejandra cannot parse this file: ${error.message}`,
        ...(/end of file/i.test(error.message) ? { offset: 'end' as const } : {}),
      });
    }
    return outcome;
  });
}

async function formatThroughStdin(
  context: CheckContext,
  command: ToolCommand,
  content: string,
): Promise<string | undefined> {
  const result = await context.runner.run(command.program, [...command.prefix, '--quiet'], {
    cwd: context.flakeDir,
    env: context.env,
    input: content,
    stream: false,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  return succeeded(result) ? result.stdout : undefined;
}

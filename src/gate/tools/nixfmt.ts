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
import { commandLabel } from '../tool-source.js';

export interface NixfmtReport {
  unformatted: string[];
  /** Parse errors, megaparsec style: `file:line:col:`, the source excerpt, then the reason. */
  errors: { path: string; line: number; column: number; message: string }[];
}

const NOT_FORMATTED = /^(.+): not formatted$/;
const ERROR_HEADER = /^(.+):(\d+):(\d+):$/;
/** The excerpt megaparsec draws: `  |`, `1 | source`, `  | ^`. */
const GUTTER = /^\s*\d*\s*\|/;

/** `--check` prints `path.nix: not formatted` per file on stderr and exits 1, as it does on parse errors. */
export function parseNixfmt(stderr: string): NixfmtReport {
  const unformatted: string[] = [];
  const errors: NixfmtReport['errors'] = [];
  let current: NixfmtReport['errors'][number] | undefined;
  const reasons: string[] = [];
  const close = () => {
    if (current) errors.push({ ...current, message: reasons.join('; ') || 'cannot parse this file' });
    current = undefined;
    reasons.length = 0;
  };
  for (const raw of stderr.split('\n')) {
    const line = raw.trimEnd();
    const notFormatted = NOT_FORMATTED.exec(line);
    const header = ERROR_HEADER.exec(line);
    if (notFormatted) {
      close();
      unformatted.push(normalizePath(notFormatted[1] as string));
    } else if (header) {
      close();
      current = {
        path: normalizePath(header[1] as string),
        line: Number(header[2]),
        column: Number(header[3]),
        message: '',
      };
    } else if (current && line.trim() && !GUTTER.test(line)) {
      reasons.push(line.trim());
    }
  }
  close();
  return { unformatted, errors };
}

export function runNixfmt(context: CheckContext): Promise<CheckOutcome> {
  return settleCheck('format', 'nixfmt', async (transcript) => {
    const outcome = {
      tool: 'nixfmt',
      findings: [] as ToolFinding[],
      failures: [] as string[],
      unformatted: [] as string[],
    };
    if (context.scope.files.length === 0) return { ...outcome, skipped: 'no .nix files to check' };
    const command = await context.tools.command('nixfmt');
    for (const files of batches(context.scope.files)) {
      const result = await runTool(context, transcript, command, ['--check', '--', ...files]);
      const report = parseNixfmt(result.stderr);
      outcome.unformatted.push(...report.unformatted);
      for (const error of report.errors) {
        outcome.findings.push({
          check: 'format',
          tool: 'nixfmt',
          path: error.path,
          line: error.line,
          column: error.column,
          endLine: error.line,
          severity: 'error',
          rule: 'syntax',
          message: `nixfmt cannot parse this file: ${error.message}`,
        });
      }
      const understood =
        result.exitCode === 0 ||
        (result.exitCode === 1 && report.unformatted.length + report.errors.length > 0);
      if (!understood || result.timedOut) outcome.failures.push(toolFailure(commandLabel(command), result));
    }
    const spans = await spansFromStdin(context, outcome.unformatted, async (content) => {
      const result = await context.runner.run(command.program, [...command.prefix], {
        cwd: context.flakeDir,
        env: context.env,
        input: content,
        stream: false,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      return succeeded(result) ? result.stdout : undefined;
    });
    for (const path of outcome.unformatted)
      outcome.findings.unshift(unformattedFinding('nixfmt', path, spans.get(path)));
    return outcome;
  });
}

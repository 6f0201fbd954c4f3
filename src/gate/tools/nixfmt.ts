import { stripAnsi } from '../../core/ansi.js';
import { formatCopies } from '../format-diff.js';
import { normalizePath } from '../globs.js';
import {
  type CheckContext,
  type CheckOutcome,
  nothingToCheck,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { commandLabel } from '../tool-source.js';

export interface NixfmtReport {
  unformatted: string[];
  /**
   * Parse errors, megaparsec style: `file:line:col:`, the source excerpt, then the reason. The column
   * counts characters, a tab reaching the next multiple of 8.
   */
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
  for (const raw of stripAnsi(stderr).split('\n')) {
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

/** A file nixfmt could not parse, at megaparsec's column (tab stops of 8); `tool` is how it ran. */
export function nixfmtSyntaxFinding(error: NixfmtReport['errors'][number], tool = 'nixfmt'): ToolFinding {
  return {
    check: 'format',
    tool,
    path: error.path,
    line: error.line,
    column: error.column,
    columns: 'tab-stops',
    endLine: error.line,
    severity: 'error',
    rule: 'syntax',
    message: `nixfmt cannot parse this file: ${error.message}`,
  };
}

/**
 * Explicit files, never a directory (nixfmt 1.4 warns it is deprecated) and no `--` (nixfmt's
 * recorded command lines have none): a path that looks like a flag is made relative instead.
 */
function nixfmtFileArgs(files: readonly string[]): string[] {
  return files.map((file) => (file.startsWith('-') ? `./${file}` : file));
}

export function nixfmtCheckArgs(files: readonly string[]): string[] {
  return ['--check', ...nixfmtFileArgs(files)];
}

/** Formats copies of the files (format-diff.ts): exit 1 on any parse error, else 0. */
export function runNixfmt(context: CheckContext): Promise<CheckOutcome> {
  return settleCheck('format', 'nixfmt', async (transcript) => {
    if (context.scope.files.length === 0) return nothingToCheck('nixfmt');
    const command = await context.tools.command('nixfmt');
    return formatCopies(context, transcript, 'nixfmt', command, nixfmtFileArgs, (result) => {
      const report = parseNixfmt(result.stderr);
      const reading = { findings: report.errors.map((error) => nixfmtSyntaxFinding(error)) };
      const understood = result.exitCode === 0 || (result.exitCode === 1 && report.errors.length > 0);
      return understood ? reading : { ...reading, failure: toolFailure(commandLabel(command), result) };
    });
  });
}

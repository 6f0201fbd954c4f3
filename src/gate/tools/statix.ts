import { stripAnsi } from '../../core/ansi.js';
import { nixErrorText } from '../../nix/errors.js';
import type { Fix, Severity } from '../findings.js';
import { normalizePath } from '../globs.js';
import {
  type CheckContext,
  type CheckOutcome,
  firstLine,
  runTool,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { commandLabel, type ToolCommand } from '../tool-source.js';

/** Rule names by code, for statix 0.5.8, whose JSON and errfmt carry only the number. */
export const STATIX_LINTS: Record<number, string> = {
  0: 'syntax_error',
  1: 'bool_comparison',
  2: 'empty_let_in',
  3: 'manual_inherit',
  4: 'manual_inherit_from',
  5: 'legacy_let_syntax',
  6: 'collapsible_let_in',
  7: 'eta_reduction',
  8: 'useless_parens',
  10: 'empty_pattern',
  11: 'redundant_pattern_bind',
  12: 'unquoted_uri',
  13: 'deprecated_is_null',
  14: 'empty_inherit',
  15: 'faster_groupby',
  16: 'faster_zipattrswith',
  17: 'deprecated_to_path',
  18: 'bool_simplification',
  19: 'useless_has_attr',
  20: 'repeated_keys',
  23: 'empty_list_concat',
};

const SEVERITY: Record<string, Severity> = { Error: 'error', Warn: 'warning', Hint: 'notice' };
const LETTER: Record<string, string> = { Error: 'E', Warn: 'W', Hint: 'I' };
const SEVERITY_OF_LETTER: Record<string, Severity> = { E: 'error', W: 'warning', I: 'notice' };

interface Position {
  line: number;
  column: number;
}
interface Span {
  from: Position;
  to: Position;
}
interface StatixDiagnostic {
  at: Span;
  message: string;
  suggestion?: { at: Span; fix: string } | null;
}
interface StatixReport {
  name?: string;
  note?: string;
  code: number;
  severity: string;
  diagnostics: StatixDiagnostic[];
}
interface StatixFile {
  file: string;
  report: StatixReport[];
}

/** `W03 manual_inherit`: severity letter, two-digit code and rule name, as statix's docs write lints. */
export function statixRule(letter: string, code: number, name: string | undefined): string {
  return `${letter}${String(code).padStart(2, '0')} ${name ?? STATIX_LINTS[code] ?? 'lint'}`;
}

/**
 * Splits statix's JSON: pretty-printed objects, one per file, concatenated without separators
 * (neither an array nor one object per line).
 */
export function splitConcatenatedJson(text: string): { values: unknown[]; rest: string } {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  let consumed = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      if (depth === 0) start = index;
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0 && start !== -1) {
        values.push(JSON.parse(text.slice(start, index + 1)));
        start = -1;
        consumed = index + 1;
      }
    }
  }
  return { values, rest: text.slice(consumed).trim() };
}

export function parseStatixJson(stdout: string): ToolFinding[] {
  const { values, rest } = splitConcatenatedJson(stdout);
  if (rest) throw new Error(`statix printed output that is not its JSON: ${firstLine(rest).slice(0, 200)}`);
  const findings: ToolFinding[] = [];
  for (const value of values) {
    const files = Array.isArray(value) ? value : [value];
    for (const entry of files as StatixFile[]) {
      if (typeof entry?.file !== 'string' || !Array.isArray(entry.report)) {
        throw new Error('statix printed JSON without `file` and `report`');
      }
      const path = normalizePath(entry.file);
      for (const report of entry.report) {
        for (const diagnostic of report.diagnostics ?? [])
          findings.push(statixFinding(path, report, diagnostic));
      }
    }
  }
  return findings;
}

/**
 * statix (0.5.8 and the fork) puts every "Unexpected end of file" at 1:1, whatever the line: the
 * finding is placed at the file's end instead, where a person sees it.
 */
function atEndOfFile(finding: ToolFinding): ToolFinding {
  if (finding.rule !== statixRule('E', 0, 'syntax_error') || !/^Unexpected end of file/.test(finding.message))
    return finding;
  const { line: _line, column: _column, endLine: _endLine, endColumn: _endColumn, ...rest } = finding;
  return { ...rest, offset: 'end' };
}

function statixFinding(path: string, report: StatixReport, diagnostic: StatixDiagnostic): ToolFinding {
  const { from, to } = diagnostic.at;
  const fix: Fix | undefined = diagnostic.suggestion
    ? {
        line: diagnostic.suggestion.at.from.line,
        column: diagnostic.suggestion.at.from.column,
        endLine: diagnostic.suggestion.at.to.line,
        endColumn: diagnostic.suggestion.at.to.column,
        replacement: diagnostic.suggestion.fix,
      }
    : undefined;
  return atEndOfFile({
    check: 'statix',
    tool: 'statix',
    path,
    line: from.line,
    column: from.column,
    endLine: to.line,
    endColumn: to.column,
    severity: SEVERITY[report.severity] ?? 'warning',
    rule: statixRule(LETTER[report.severity] ?? 'W', report.code, report.name),
    message: diagnostic.message || report.note || 'statix finding',
    ...(fix ? { fix } : {}),
  });
}

const ERRFMT = /^(.+)>(\d+):(\d+):([WEI]):(\d+):(.*)$/;

/** `-o errfmt`: `./a.nix>1:17:W:3:message`, the fork prefixing the message with `[rule_name] `. */
export function parseStatixErrfmt(stdout: string): ToolFinding[] {
  const findings: ToolFinding[] = [];
  for (const line of stdout.split('\n')) {
    const match = ERRFMT.exec(line.trimEnd());
    if (!match) continue;
    const [, file, lineNumber, column, letter, code, text] = match as unknown as string[];
    const named = /^\[([a-z_]+)\] (.*)$/.exec(text as string);
    findings.push(
      atEndOfFile({
        check: 'statix',
        tool: 'statix',
        path: normalizePath(file as string),
        line: Number(lineNumber),
        column: Number(column),
        severity: SEVERITY_OF_LETTER[letter as string] ?? 'warning',
        rule: statixRule(letter as string, Number(code), named?.[1]),
        message: named ? (named[2] as string) : (text as string),
      }),
    );
  }
  return findings;
}

function statixArgs(config: string | undefined, ignores: readonly string[], target: string): string[] {
  return [
    'check',
    '-o',
    'json',
    ...(config ? ['-c', config] : []),
    ...ignores.flatMap((glob) => ['-i', glob]),
    target,
  ];
}

export function runStatix(context: CheckContext, config: string | undefined): Promise<CheckOutcome> {
  return settleCheck('statix', 'statix', async (transcript) => {
    const outcome = {
      tool: 'statix',
      findings: [] as ToolFinding[],
      failures: [] as string[],
      unformatted: [],
    };
    if (context.scope.files.length === 0) return { ...outcome, skipped: 'no .nix files to check' };
    const command = await context.tools.command('statix');
    const targets = context.scope.mode === 'all' ? ['.'] : context.scope.files;
    const ignores = context.scope.mode === 'all' ? context.exclude.sources : [];
    // statix takes one target: in changed mode one run per file, as many at once as the runner has cores.
    const results = await Promise.all(
      targets.map((target) => runTool(context, transcript, command, statixArgs(config, ignores, target))),
    );
    for (const result of results) {
      const verdict = readStatixResult(command, result);
      outcome.findings.push(...verdict.findings);
      if (verdict.failure && !outcome.failures.includes(verdict.failure))
        outcome.failures.push(verdict.failure);
    }
    return outcome;
  });
}

/**
 * statix exits 1 when it reports anything and 0 otherwise, even after a config or path error,
 * which it only prints on stderr: that must fail the gate, never pass it.
 */
function readStatixResult(
  command: ToolCommand,
  result: Awaited<ReturnType<typeof runTool>>,
): { findings: ToolFinding[]; failure?: string } {
  if (result.timedOut || (result.exitCode !== 0 && result.exitCode !== 1)) {
    return { findings: [], failure: toolFailure(commandLabel(command), result) };
  }
  const complaint = firstLine(nixErrorText(result.stderr));
  if (result.exitCode === 0 && complaint) {
    return { findings: [], failure: `statix reported an error and checked nothing: ${complaint}` };
  }
  let findings: ToolFinding[];
  // statix colours its default output whatever NO_COLOR says.
  const stdout = stripAnsi(result.stdout);
  try {
    findings = stdout.trimStart().startsWith('{') ? parseStatixJson(stdout) : parseStatixErrfmt(stdout);
  } catch (error) {
    return { findings: [], failure: (error as Error).message };
  }
  if (result.exitCode === 1 && findings.length === 0) {
    return { findings, failure: toolFailure(commandLabel(command), result) };
  }
  return { findings };
}

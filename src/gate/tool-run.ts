import { stripAnsi } from '../core/ansi.js';
import type { Slots } from '../core/concurrency.js';
import { stringifyError, UserError } from '../core/errors.js';
import { describeExit, type ProcessResult, type ProcessRunner } from '../core/process.js';
import type { NixCli } from '../nix/cli.js';
import { nixErrorText } from '../nix/errors.js';
import type { ReasonContext } from '../nix/input-fetch.js';
import type { Finding, GateCheck } from './findings.js';
import type { PathGlobs } from './globs.js';
import type { FileScope } from './scope.js';
import { commandLabel, type ToolCommand, type ToolSource, ToolUnavailable } from './tool-source.js';

/**
 * How a tool counts a column: UTF-8 bytes (deadnix, statix, Nix's own error positions), or characters
 * with a tab reaching the next multiple of 8 (megaparsec's, so nixfmt's). positions.ts turns either
 * into the column a person counts.
 */
export type ColumnUnit = 'bytes' | 'tab-stops';

/** A finding as a tool reports it: path relative to the flake directory, columns as the tool counts them. */
export interface ToolFinding extends Omit<Finding, 'file'> {
  path: string;
  /** A position given as byte offsets into the file (deadnix and alejandra parse errors), or its end. */
  offset?: { start: number; end: number } | 'end';
  /** How `column`, `endColumn` and the fix's columns count; bytes when unset. */
  columns?: ColumnUnit;
}

/** deadnix's and alejandra's parse errors name a byte range: `unexpected TOKEN_R_BRACE at 5..6, wanted any of […]`. */
const PARSE_ERROR_RANGE = / at (\d+)\.\.(\d+)/;

/** Where a parse error without line and column sits: its byte range, or the end of the file. */
export function parseErrorOffset(message: string): Pick<ToolFinding, 'offset'> {
  const range = PARSE_ERROR_RANGE.exec(message);
  if (range) return { offset: { start: Number(range[1]), end: Number(range[2]) } };
  return /end of file/i.test(message) ? { offset: 'end' } : {};
}

/** What one check found, and what it printed, for its log group. */
export interface CheckOutcome {
  check: GateCheck;
  /** `deadnix`, `alejandra`, `nix fmt (treefmt)`. */
  tool: string;
  findings: ToolFinding[];
  /** Why the check could not give a verdict; any entry fails the gate. */
  failures: string[];
  /** Files the formatter would change, relative to the flake directory. */
  unformatted: string[];
  /** Set when the check had nothing to do, e.g. no .nix file changed. */
  skipped?: string;
  durationMs: number;
  transcript: string[];
}

/** Everything a check needs; each tool wrapper receives it and returns a CheckOutcome. */
export interface CheckContext {
  flakeDir: string;
  scope: FileScope;
  exclude: PathGlobs;
  runner: ProcessRunner;
  /** Variables the tools run with (PATH among them). */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  tools: ToolSource;
  nix: NixCli;
  /** What Nix was given to fetch private inputs with, for saying why one could not be fetched. */
  access: ReasonContext;
  /** Every file of the flake's tree (tracked and untracked, not ignored), for snapshots. */
  listTree(): Promise<string[]>;
  /** The tool processes that may run at once, shared by every check (see gate.ts). */
  slots: Slots;
  /** How many processes one check may spread its files over: its share of the runner's cores. */
  processesPerCheck: number;
  /** Where a check may write (RUNNER_TEMP): the formatters' copies. */
  tempDir: string;
}

/** Collects a check's commands and output, printed in one log group once the check is done. */
export class Transcript {
  readonly lines: string[] = [];

  command(program: string, args: readonly string[]): void {
    const shown = args.length > 12 ? [...args.slice(0, 12), `… (${args.length - 12} more)`] : args;
    this.lines.push(`$ ${[program, ...shown].map(quoteWord).join(' ')}`);
  }

  output(result: ProcessResult): void {
    for (const stream of [result.stdout, result.stderr]) {
      const text = stripAnsi(stream).replace(/\n+$/, '');
      if (text) this.lines.push(...text.split('\n'));
    }
    if (result.exitCode !== 0) this.lines.push(`(${describeExit(result)})`);
  }

  note(line: string): void {
    this.lines.push(line);
  }
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./#-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a tool in the flake directory (or `cwd`) with captured output, concurrent checks must not
 * interleave logs, once one of the runner's cores is free.
 */
export async function runTool(
  context: CheckContext,
  transcript: Transcript,
  command: ToolCommand,
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<ProcessResult> {
  const argv = [...command.prefix, ...args];
  transcript.command(command.program, argv);
  let result: ProcessResult;
  try {
    result = await context.slots.run(() =>
      context.runner.run(command.program, argv, {
        cwd: options.cwd ?? context.flakeDir,
        // deadnix colours its output unless NO_COLOR is set (statix whatever it says): the gate reads text.
        env: { ...context.env, NO_COLOR: '1' },
        stream: false,
        ...(command.role ? { role: command.role } : {}),
        ...(options.input !== undefined ? { input: options.input } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      }),
    );
  } catch (error) {
    if (error instanceof UserError) {
      throw new ToolUnavailable(
        command.via === 'nix' && command.tool !== 'nix'
          ? `${command.tool} is not on PATH, and nix, which would provide it, is not either`
          : `${command.program} was not found on PATH`,
      );
    }
    throw error;
  }
  transcript.output(result);
  return result;
}

/** `statix exited with code 101: thread 'main' panicked at …`: one line for a tool that did not work. */
export function toolFailure(label: string, result: ProcessResult): string {
  const detail = firstLine(nixErrorText(result.stderr)) || firstLine(stripAnsi(result.stdout));
  return `${label} ${describeExit(result)}${detail ? `: ${detail}` : ''}`;
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? ''
  );
}

/**
 * Runs a check and turns a tool that cannot start into a failure of that check alone, so the other
 * checks still report.
 */
export async function settleCheck(
  check: GateCheck,
  tool: string,
  body: (transcript: Transcript) => Promise<Omit<CheckOutcome, 'durationMs' | 'transcript' | 'check'>>,
): Promise<CheckOutcome> {
  const started = Date.now();
  const transcript = new Transcript();
  try {
    const outcome = await body(transcript);
    return { check, ...outcome, durationMs: Date.now() - started, transcript: transcript.lines };
  } catch (error) {
    if (!(error instanceof ToolUnavailable || error instanceof UserError)) throw error;
    const reason = stringifyError(error);
    transcript.note(reason);
    return {
      check,
      tool,
      findings: [],
      failures: [reason],
      unformatted: [],
      durationMs: Date.now() - started,
      transcript: transcript.lines,
    };
  }
}

/** The outcome of a check with no .nix file in scope. */
export function nothingToCheck(tool: string): Omit<CheckOutcome, 'check' | 'durationMs' | 'transcript'> {
  return { tool, findings: [], failures: [], unformatted: [], skipped: 'no .nix files to check' };
}

/** What a tool said about one batch of files. */
export interface BatchReading {
  findings?: ToolFinding[];
  unformatted?: string[];
  /** Why this batch gave no verdict (an exit code the tool does not give for findings, a path it skipped). */
  failure?: string;
}

/**
 * Runs a tool over the scope's files, spread over the check's share of the cores, and gathers what `read` makes
 * of each run; a run that timed out fails the check whatever it printed.
 */
export async function runOverFiles(
  context: CheckContext,
  transcript: Transcript,
  command: ToolCommand,
  argsFor: (files: readonly string[]) => string[],
  read: (result: ProcessResult, files: readonly string[]) => BatchReading,
  /** Other files than the scope's, or another directory to run in (the formatters' copies). */
  options: { files?: readonly string[]; cwd?: string } = {},
): Promise<Required<Omit<BatchReading, 'failure'>> & { failures: string[] }> {
  const parts = shareOut(options.files ?? context.scope.files, context.processesPerCheck).flatMap((part) =>
    batches(part),
  );
  const results = await Promise.all(
    parts.map((files) =>
      runTool(context, transcript, command, argsFor(files), options.cwd ? { cwd: options.cwd } : {}),
    ),
  );
  const gathered = { findings: [] as ToolFinding[], unformatted: [] as string[], failures: [] as string[] };
  results.forEach((result, index) => {
    const reading = read(result, parts[index] as string[]);
    gathered.findings.push(...(reading.findings ?? []));
    gathered.unformatted.push(...(reading.unformatted ?? []));
    if (result.timedOut) gathered.failures.push(toolFailure(commandLabel(command), result));
    else if (reading.failure) gathered.failures.push(reading.failure);
  });
  return gathered;
}

/** Fewer files than this per process would cost more in start-ups than the cores save. */
const FILES_PER_PROCESS = 64;

/** `files` in at most `parts` runs of consecutive files, of nearly equal length. */
export function shareOut(files: readonly string[], parts: number): string[][] {
  const count = Math.max(1, Math.min(parts, Math.floor(files.length / FILES_PER_PROCESS)));
  const size = Math.ceil(files.length / count);
  return Array.from({ length: count }, (_, index) => files.slice(index * size, (index + 1) * size)).filter(
    (part) => part.length > 0,
  );
}

/** Splits a long file list so no command line comes near the kernel's limit. */
export function batches(files: readonly string[], maxChars = 100_000): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const file of files) {
    if (current.length > 0 && size + file.length + 1 > maxChars) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(file);
    size += file.length + 1;
  }
  if (current.length > 0) result.push(current);
  return result;
}

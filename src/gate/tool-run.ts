import { stringifyError, UserError } from '../core/errors.js';
import { describeExit, type ProcessResult, type ProcessRunner } from '../core/process.js';
import type { NixCli } from '../nix/cli.js';
import { nixErrorText } from '../nix/errors.js';
import type { Finding, GateCheck } from './findings.js';
import type { PathGlobs } from './globs.js';
import type { FileScope } from './scope.js';
import { type ToolCommand, type ToolSource, ToolUnavailable } from './tool-source.js';

/** A finding as a tool reports it: path relative to the flake directory, columns in bytes. */
export interface ToolFinding extends Omit<Finding, 'file'> {
  path: string;
  /** A position given as byte offsets into the file (deadnix parse errors), or its end. */
  offset?: { start: number; end: number } | 'end';
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
  /** Every file of the flake's tree (tracked and untracked, not ignored), for snapshots. */
  listTree(): Promise<string[]>;
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
      const text = stream.replace(/\n+$/, '');
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

/** Runs a tool in the flake directory with captured output: concurrent checks must not interleave logs. */
export async function runTool(
  context: CheckContext,
  transcript: Transcript,
  command: ToolCommand,
  args: readonly string[],
  options: { input?: string } = {},
): Promise<ProcessResult> {
  const argv = [...command.prefix, ...args];
  transcript.command(command.program, argv);
  let result: ProcessResult;
  try {
    result = await context.runner.run(command.program, argv, {
      cwd: context.flakeDir,
      env: context.env,
      stream: false,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    });
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
  const detail = firstLine(nixErrorText(result.stderr)) || firstLine(result.stdout);
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

/** Runs `task` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

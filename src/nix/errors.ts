import { UserError } from '../core/errors.js';
import { describeExit, type ProcessResult } from '../core/process.js';

export const NIX_NOT_FOUND =
  'nix was not found on PATH: install Nix before this step (on GitHub Actions with ' +
  'cachix/install-nix-action or DeterminateSystems/nix-installer-action; elsewhere see ' +
  'https://nixos.org/download) or put it on PATH';

/**
 * A nix command that failed. Its message is Nix's own `error:` text without progress lines, so it
 * can be shown as it is. It is a UserError because what breaks a nix call is nearly always the
 * flake (an evaluation error, a failing build, an input that cannot be fetched), which the user fixes.
 */
export class NixError extends UserError {
  readonly subcommand: string;

  constructor(
    readonly args: readonly string[],
    readonly nixMessage: string,
    readonly exitCode: number | null,
  ) {
    const subcommand = `nix ${subcommandOf(args)}`;
    super(`${subcommand} failed:\n${nixMessage}`);
    this.subcommand = subcommand;
  }

  static fromResult(result: ProcessResult): NixError {
    const text = nixErrorText(result.stderr) || `nix ${describeExit(result)} without an error message`;
    return new NixError(result.args, text, result.exitCode);
  }
}

function subcommandOf(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args) {
    if (words.length === 2 || !/^[a-z][a-z-]*$/.test(arg)) break;
    words.push(arg);
  }
  return words.join(' ');
}

const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Lines Nix prints while working, which say nothing about why it failed. */
const PROGRESS = [
  /^warning: /,
  /^building '/,
  /^copying (path|\d+ paths)/,
  /^fetching /,
  /^unpacking /,
  /^evaluating /,
  /^querying /,
  /^these \d+ (derivations|paths) will be/,
  /^this (derivation|path) will be/,
  /^ {2}\/nix\/store\//,
  /^\[\d+\/\d+\/\d+ built/,
  /^\(use '--show-trace' to show detailed location information\)$/,
  /^\s*\(stack trace truncated; use '--show-trace' to show the full, detailed trace\)$/,
];

/**
 * Nix ≥ 2.20 prints a bare `error:`, the trace, then the message itself indented at the end; older
 * Nix printed the message first. Both read as the older did: the message, then where it happened.
 */
function messageFirst(lines: string[]): string[] {
  if (lines[0] !== 'error:') return lines;
  const at = lines.findIndex((line, index) => index > 0 && /^\s+error:( |$)/.test(line));
  if (at === -1) return lines;
  const indent = lines[at]?.match(/^\s*/)?.[0].length ?? 0;
  const message = lines
    .slice(at)
    .map((line) => line.slice(Math.min(indent, line.match(/^\s*/)?.[0].length ?? 0)));
  const trace = lines.slice(1, at);
  for (const part of [message, trace]) while (part.length > 0 && part[part.length - 1] === '') part.pop();
  return [...message, '', ...trace];
}

/**
 * Nix's error text from a command's stderr: everything from the first `error:` line on, less the
 * progress lines a build interleaves, colours and the `--show-trace` hint. Without an `error:` line,
 * the last lines that are not progress.
 */
export function nixErrorText(stderr: string): string {
  const lines = stderr
    .replace(ANSI_ESCAPE, '')
    .split('\n')
    .map((line) => (line.split('\r').pop() ?? '').trimEnd());
  const first = lines.findIndex((line) => line.startsWith('error:'));
  const kept = messageFirst(
    (first === -1 ? lines : lines.slice(first)).filter(
      (line) => !PROGRESS.some((pattern) => pattern.test(line)),
    ),
  );
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  while (kept.length > 0 && kept[0] === '') kept.shift();
  return (first === -1 ? kept.slice(-20) : kept).join('\n');
}

/**
 * The message without the `… while evaluating` frames newer Nix locates in `file`: they show where
 * flakeflow's own expression was (and a position in its list, which differs from one evaluator
 * process to the next), not where the user's code broke.
 */
export function withoutFramesIn(message: string, file: string): string {
  return message
    .split('\n\n')
    .filter((block) => !(/^\s*… /.test(block) && block.includes(`at ${file}:`)))
    .join('\n\n');
}

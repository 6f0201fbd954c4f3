import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describeExit } from '../../core/process.js';
import { nixErrorText } from '../../nix/errors.js';
import { explainFetchFailure } from '../../nix/input-fetch.js';
import { normalizePath } from '../globs.js';
import { type CheckContext, type CheckOutcome, runTool, settleCheck, type ToolFinding } from '../tool-run.js';

/** Where Nix's error text points into the flake's source: `/nix/store/<hash>-source/hosts/pi.nix:12:5`. */
const SOURCE_POSITION = /\/nix\/store\/[0-9a-z]{32}-source\/([^\s:'"»]+):(\d+):(\d+)/g;

const MESSAGE_LIMIT = 4_000;

/**
 * `nix flake check`: evaluates every output and builds the checks. Its failure is one error finding,
 * placed where Nix's error text points into the flake when it does, else on flake.nix.
 */
export function runFlakeCheck(context: CheckContext, repoRoot: string | undefined): Promise<CheckOutcome> {
  return settleCheck('flake-check', 'nix flake check', async (transcript) => {
    const command = {
      tool: 'nix' as const,
      program: 'nix',
      prefix: [],
      via: 'nix' as const,
      role: 'nix' as const,
    };
    const result = await runTool(context, transcript, command, [
      'flake',
      'check',
      '--extra-experimental-features',
      'nix-command flakes',
      '--keep-going',
      context.flakeDir,
    ]);
    const outcome = {
      tool: 'nix flake check',
      findings: [] as ToolFinding[],
      failures: [] as string[],
      unformatted: [],
    };
    if (result.exitCode === 0 && !result.timedOut) return outcome;
    const unfetched = await explainFetchFailure(result.stderr, {
      runner: context.runner,
      flakeDir: context.flakeDir,
      ...context.access,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const text =
      unfetched?.message ||
      ignoredErrors(result.stderr) ||
      nixErrorText(result.stderr) ||
      `nix flake check ${describeExit(result)}`;
    const position = await sourcePosition(text, context.flakeDir, repoRoot);
    outcome.findings.push({
      check: 'flake-check',
      tool: 'nix flake check',
      path: position?.path ?? 'flake.nix',
      ...(position ? { line: position.line, column: position.column, endLine: position.line } : {}),
      severity: 'error',
      rule: 'flake-check',
      message: text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text,
    });
    return outcome;
  });
}

/**
 * With --keep-going Nix prints each failure as `error (ignored): error: …` and ends with a bare
 * "some errors were encountered": the failures are what the reader needs. A failure goes on through
 * indented and blank lines (Nix 2.8 puts a blank line before the position, newer Nix between traces).
 */
function ignoredErrors(stderr: string): string {
  const failures: string[][] = [];
  let open = false;
  for (const line of stderr.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').split('\n')) {
    const ignored = /^error \(ignored\): (?:error: ?)?(.*)$/.exec(line);
    if (ignored) failures.push([ignored[1] as string]);
    else if (open && /^(\s|$)/.test(line)) failures[failures.length - 1]?.push(line);
    open = ignored !== null || (open && /^(\s|$)/.test(line));
  }
  return failures.map((lines) => lines.join('\n').trim()).join('\n');
}

/**
 * The position of a failure: after the innermost `error:` of the first failure (newer Nix prints
 * the traces that led there first), else the first one it names.
 */
function failurePositionText(text: string): string[] {
  const firstFailure = text.split(/\n(?=\S)/)[0] ?? text;
  const innermost = [...firstFailure.matchAll(/^\s*error: /gm)].at(-1)?.index;
  return innermost === undefined ? [firstFailure, text] : [firstFailure.slice(innermost), firstFailure, text];
}

/** Where Nix's error text first points at a file of the flake, relative to the flake directory. */
export async function sourcePosition(
  text: string,
  flakeDir: string,
  repoRoot: string | undefined,
): Promise<{ path: string; line: number; column: number } | undefined> {
  const positions = failurePositionText(text).flatMap((part) => [...part.matchAll(SOURCE_POSITION)]);
  for (const match of positions) {
    const inSource = match[1] as string;
    // A git flake's source is the whole repository; a path flake's is the flake directory.
    for (const root of repoRoot ? [repoRoot, flakeDir] : [flakeDir]) {
      const absolute = join(root, inSource);
      const path = normalizePath(relative(flakeDir, absolute));
      if (path.startsWith('../')) continue;
      try {
        await access(absolute);
        return { path, line: Number(match[2]), column: Number(match[3]) };
      } catch {
        // Not this root.
      }
    }
  }
  return undefined;
}

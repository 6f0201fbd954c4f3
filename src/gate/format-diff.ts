import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { succeeded } from '../core/process.js';
import type { CheckContext, CheckOutcome, ToolFinding } from './tool-run.js';
import type { ToolCommand } from './tool-source.js';

/** The lines of `before` a formatter rewrote: from the first that differs to the last, by line. */
export function changedSpan(before: string, after: string): { line: number; endLine: number } | undefined {
  if (before === after) return undefined;
  const old = contentLines(before);
  const formatted = contentLines(after);
  let head = 0;
  while (head < old.length && head < formatted.length && old[head] === formatted[head]) head += 1;
  let tail = 0;
  while (
    tail < old.length - head &&
    tail < formatted.length - head &&
    old[old.length - 1 - tail] === formatted[formatted.length - 1 - tail]
  ) {
    tail += 1;
  }
  const lastLine = Math.max(1, old.length);
  const line = Math.min(head + 1, lastLine);
  return { line, endLine: Math.min(Math.max(line, old.length - tail), lastLine) };
}

function contentLines(text: string): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** The finding for a file a formatter would change, pointing at the lines it would change when known. */
export function unformattedFinding(
  tool: string,
  path: string,
  span: { line: number; endLine: number } | undefined,
): ToolFinding {
  const where = span
    ? span.line === span.endLine
      ? `line ${span.line}`
      : `lines ${span.line}–${span.endLine}`
    : 'this file';
  return {
    check: 'format',
    tool,
    path,
    ...(span ? { line: span.line, endLine: span.endLine } : {}),
    severity: 'error',
    rule: 'unformatted',
    message: `Not formatted: ${tool} would change ${where}. Run \`nix fmt\` (or ${tool}) and commit the result.`,
  };
}

/** At most this many unformatted files get their formatted text computed, to point at the lines. */
export const SPAN_LOOKUPS = 25;

/**
 * Formats each file's content through the formatter's stdin mode (`alejandra`, `nixfmt` with no
 * path) to find which lines it would change; the checkout is never written.
 */
export async function spansFromStdin(
  context: CheckContext,
  paths: readonly string[],
  format: (content: string) => Promise<string | undefined>,
): Promise<Map<string, { line: number; endLine: number }>> {
  const spans = new Map<string, { line: number; endLine: number }>();
  for (const path of paths.slice(0, SPAN_LOOKUPS)) {
    let content: string;
    try {
      content = await readFile(join(context.flakeDir, path), 'utf8');
    } catch {
      continue;
    }
    const formatted = await format(content);
    const span = formatted === undefined ? undefined : changedSpan(content, formatted);
    if (span) spans.set(path, span);
  }
  return spans;
}

/**
 * A formatter's outcome: each unformatted file pointed at the lines that formatting it through
 * stdin (`stdinArgs`) would change, then the other findings.
 */
export async function formatterOutcome(
  context: CheckContext,
  tool: string,
  command: ToolCommand,
  stdinArgs: readonly string[],
  gathered: { findings: ToolFinding[]; unformatted: string[]; failures: string[] },
): Promise<Omit<CheckOutcome, 'check' | 'durationMs' | 'transcript'>> {
  const spans = await spansFromStdin(context, gathered.unformatted, async (content) => {
    const result = await context.runner.run(command.program, [...command.prefix, ...stdinArgs], {
      cwd: context.flakeDir,
      env: context.env,
      input: content,
      stream: false,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    return succeeded(result) ? result.stdout : undefined;
  });
  const unformatted = gathered.unformatted.map((path) => unformattedFinding(tool, path, spans.get(path)));
  return {
    tool,
    findings: [...unformatted, ...gathered.findings],
    failures: gathered.failures,
    unformatted: gathered.unformatted,
  };
}

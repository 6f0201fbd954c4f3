import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProcessResult } from '../core/process.js';
import {
  type BatchReading,
  type CheckContext,
  type CheckOutcome,
  runOverFiles,
  type ToolFinding,
  type Transcript,
} from './tool-run.js';
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

function linesText(span: { line: number; endLine: number }): string {
  return span.line === span.endLine ? `line ${span.line}` : `lines ${span.line}–${span.endLine}`;
}

/** The finding for a file a formatter would change, pointing at the lines it would change when known. */
export function unformattedFinding(
  tool: string,
  path: string,
  span: { line: number; endLine: number } | undefined,
): ToolFinding {
  const where = span ? linesText(span) : 'this file';
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

/**
 * A formatter's verdict from one run per file: the files are copied to a temporary directory, the
 * formatter rewrites the copies (spread over the check's share of the cores), and each copy is compared
 * in memory with the checkout's file, giving the lines it would change; the checkout is never written.
 */
export async function formatCopies(
  context: CheckContext,
  transcript: Transcript,
  tool: string,
  command: ToolCommand,
  formatArgs: (files: readonly string[]) => string[],
  read: (result: ProcessResult, files: readonly string[]) => BatchReading,
  /** Files of the flake directory the formatter reads its settings from (alejandra.toml). */
  settingsFiles: readonly string[] = [],
): Promise<Omit<CheckOutcome, 'check' | 'durationMs' | 'transcript'>> {
  await mkdir(context.tempDir, { recursive: true });
  const copies = await mkdtemp(join(context.tempDir, 'flakeflow-format-'));
  try {
    const originals = new Map<string, string>();
    const unreadable: string[] = [];
    const copy = async (path: string, required: boolean) => {
      let content: Buffer;
      try {
        content = await readFile(join(context.flakeDir, path));
      } catch {
        if (required) unreadable.push(path);
        return;
      }
      if (required) originals.set(path, content.toString('utf8'));
      await mkdir(dirname(join(copies, path)), { recursive: true });
      await writeFile(join(copies, path), content);
    };
    await Promise.all([
      ...context.scope.files.map((path) => copy(path, true)),
      ...settingsFiles.map((path) => copy(path, false)),
    ]);
    const files = context.scope.files.filter((path) => originals.has(path));
    transcript.note(
      `${tool} formats copies of the ${files.length} file${files.length === 1 ? '' : 's'} in ${copies}; the checkout is not written.`,
    );
    const gathered = await runOverFiles(context, transcript, command, formatArgs, read, {
      files,
      cwd: copies,
    });
    const unformatted: string[] = [];
    const findings: ToolFinding[] = [];
    const formatted = await Promise.all(
      files.map((path) => readFile(join(copies, path), 'utf8').catch(() => originals.get(path) as string)),
    );
    for (const [index, path] of files.entries()) {
      const span = changedSpan(originals.get(path) as string, formatted[index] as string);
      if (!span) continue;
      unformatted.push(path);
      findings.push(unformattedFinding(tool, path, span));
      transcript.note(`Requires formatting: ${path} (${linesText(span)})`);
    }
    const failures = [
      ...gathered.failures,
      ...(unreadable.length > 0
        ? [`${tool} could not check ${unreadable.join(', ')}: it cannot be read`]
        : []),
    ];
    return { tool, findings: [...findings, ...gathered.findings], failures, unformatted };
  } finally {
    await rm(copies, { recursive: true, force: true });
  }
}

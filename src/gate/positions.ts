import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Finding } from './findings.js';
import { normalizePath } from './globs.js';
import type { ColumnUnit, ToolFinding } from './tool-run.js';

const TAB_WIDTH = 8;

/**
 * A file's lines as bytes, and the one conversion from a tool's position to the column a person
 * counts: one per Unicode character (code point), a tab one. A combining mark is a character of its
 * own (as nixfmt counts it) and a wide CJK character one column, like any other: GitHub and editors
 * address characters, not the cells a terminal draws.
 */
export class SourceLines {
  private constructor(readonly lines: Buffer[]) {}

  static fromText(text: string): SourceLines {
    const bytes = Buffer.from(text, 'utf8');
    const lines: Buffer[] = [];
    let start = 0;
    for (let index = 0; index < bytes.length; index += 1) {
      if (bytes[index] === 0x0a) {
        lines.push(bytes.subarray(start, index));
        start = index + 1;
      }
    }
    lines.push(bytes.subarray(start));
    return new SourceLines(lines);
  }

  /** The line's text (1-based), without its line break. */
  text(line: number): string | undefined {
    return this.lines[line - 1]?.toString('utf8').replace(/\r$/, '');
  }

  get lineCount(): number {
    const last = this.lines[this.lines.length - 1];
    return last && last.length === 0 ? this.lines.length - 1 : this.lines.length;
  }

  /**
   * The 1-based column a person counts of a tool's 1-based `column` on `line`. A column inside a
   * character is that character's; one past the line's end stays past it, one column per unit.
   */
  column(line: number, column: number, unit: ColumnUnit): number {
    const bytes = this.lines[line - 1];
    if (!bytes || column <= 1) return column;
    return unit === 'bytes' ? columnOfByte(bytes, column) : columnOfTabStop(bytes, column);
  }

  /** The 1-based line and byte column of a 0-based byte offset into the file. */
  positionOf(offset: number): { line: number; column: number } {
    let remaining = offset;
    for (let index = 0; index < this.lines.length; index += 1) {
      const length = (this.lines[index] as Buffer).length;
      if (remaining <= length) return { line: index + 1, column: remaining + 1 };
      remaining -= length + 1;
    }
    const last = Math.max(1, this.lineCount);
    return { line: last, column: ((this.lines[last - 1]?.length ?? 0) as number) + 1 };
  }
}

/** UTF-8: every byte but a continuation byte (10xxxxxx) starts a character. */
function columnOfByte(bytes: Buffer, byteColumn: number): number {
  const within = Math.min(byteColumn - 1, bytes.length);
  let characters = 0;
  for (let index = 0; index < within; index += 1) {
    if (((bytes[index] as number) & 0xc0) !== 0x80) characters += 1;
  }
  // A byte column inside a character points at that character.
  if (within < bytes.length && ((bytes[within] as number) & 0xc0) === 0x80) characters -= 1;
  return characters + (byteColumn - 1 - within) + 1;
}

function columnOfTabStop(bytes: Buffer, tabColumn: number): number {
  let visual = 1;
  let characters = 1;
  for (const char of bytes.toString('utf8')) {
    const next =
      char === '\t' ? Math.floor((visual - 1) / TAB_WIDTH) * TAB_WIDTH + TAB_WIDTH + 1 : visual + 1;
    // A column inside a tab's stretch points at the tab.
    if (tabColumn < next) return characters;
    visual = next;
    characters += 1;
  }
  return characters + (tabColumn - visual);
}

/** The index in a JavaScript string (UTF-16 units) of a 1-based person column, for slicing a line. */
export function indexOfColumn(text: string, column: number): number {
  let index = 0;
  for (let counted = 1; counted < column && index < text.length; counted += 1) {
    index += (text.codePointAt(index) as number) > 0xffff ? 2 : 1;
  }
  return index;
}

/**
 * Turns tool findings into gate findings: paths relative to the repository root (the flake may sit
 * in a subdirectory), the columns a person counts instead of the tools' own, byte offsets resolved
 * to lines.
 */
export async function locateFindings(
  found: readonly ToolFinding[],
  flakeDir: string,
  /** The flake directory relative to the repository root, `''` at the root. */
  prefix: string,
): Promise<Finding[]> {
  const sources = new Map<string, Promise<SourceLines | undefined>>();
  const source = (path: string) => {
    let lines = sources.get(path);
    if (!lines) {
      lines = readFile(join(flakeDir, path), 'utf8').then(SourceLines.fromText, () => undefined);
      sources.set(path, lines);
    }
    return lines;
  };
  return Promise.all(
    found.map(async ({ path, offset, columns = 'bytes', ...finding }) => {
      const file = normalizePath(prefix ? posix.join(prefix, path) : path);
      const lines = await source(path);
      if (!lines) return { ...finding, file };
      const located: Finding = { ...finding, file };
      if (offset !== undefined && located.line === undefined) {
        // Offsets are bytes: they resolve to a line and a byte column.
        const start =
          offset === 'end' ? lines.positionOf(Number.MAX_SAFE_INTEGER) : lines.positionOf(offset.start);
        located.line = start.line;
        located.endLine = start.line;
        located.column = start.column;
        if (offset !== 'end') {
          const end = lines.positionOf(offset.end);
          if (end.line === start.line && end.column > start.column) located.endColumn = end.column;
        }
        return inPersonColumns(located, lines, 'bytes');
      }
      // nixfmt puts an end-of-file error on the empty line after the final newline: keep it on the last line.
      if (located.line !== undefined && located.line > Math.max(1, lines.lineCount)) {
        const end = lines.positionOf(Number.MAX_SAFE_INTEGER);
        const { endColumn: _endColumn, ...rest } = located;
        return inPersonColumns(
          { ...rest, line: end.line, endLine: end.line, column: end.column },
          lines,
          'bytes',
        );
      }
      return inPersonColumns(located, lines, columns);
    }),
  );
}

function inPersonColumns(finding: Finding, lines: SourceLines, unit: ColumnUnit): Finding {
  const result: Finding = { ...finding };
  if (result.line !== undefined && result.column !== undefined) {
    result.column = lines.column(result.line, result.column, unit);
  }
  if (result.endColumn !== undefined) {
    result.endColumn = lines.column(result.endLine ?? result.line ?? 1, result.endColumn, unit);
  }
  if (result.fix) {
    const { fix } = result;
    result.fix = {
      ...fix,
      column: lines.column(fix.line, fix.column, unit),
      endColumn: lines.column(fix.endLine, fix.endColumn, unit),
    };
  }
  // An empty span (statix's syntax errors) is a point: GitHub needs no end column for it.
  const sameLine = (result.endLine ?? result.line) === result.line;
  if (sameLine && result.endColumn !== undefined && result.endColumn <= (result.column ?? 0))
    delete result.endColumn;
  return result;
}

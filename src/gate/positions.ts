import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Finding, Fix } from './findings.js';
import { normalizePath } from './globs.js';
import type { ToolFinding } from './tool-run.js';

/** A file's lines as bytes, to turn the tools' byte columns into the character columns GitHub counts. */
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

  /** The 1-based character column of a 1-based byte column on `line`. */
  charColumn(line: number, byteColumn: number): number {
    const bytes = this.lines[line - 1];
    if (!bytes || byteColumn <= 1) return byteColumn;
    const prefix = bytes.subarray(0, Math.min(byteColumn - 1, bytes.length));
    const beyond = byteColumn - 1 - prefix.length;
    return prefix.toString('utf8').length + beyond + 1;
  }

  /**
   * The 1-based character column of a 1-based column counted with tabs reaching the next multiple
   * of 8 (megaparsec's, so nixfmt's), where a person counts a tab as one character.
   */
  charColumnFromTabStops(line: number, tabColumn: number): number {
    const text = this.text(line);
    if (text === undefined) return tabColumn;
    let visual = 1;
    let characters = 1;
    for (const char of text) {
      if (visual >= tabColumn) return characters;
      visual = char === '\t' ? Math.floor((visual - 1) / 8) * 8 + 9 : visual + 1;
      characters += 1;
    }
    return characters + Math.max(0, tabColumn - visual);
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

/**
 * Turns tool findings into gate findings: paths relative to the repository root (the flake may sit
 * in a subdirectory), character columns instead of byte columns, byte offsets resolved to lines.
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
    found.map(async ({ path, offset, columns, ...finding }) => {
      const file = normalizePath(prefix ? posix.join(prefix, path) : path);
      const lines = await source(path);
      if (!lines) return { ...finding, file };
      const located: Finding = { ...finding, file };
      if (offset !== undefined && located.line === undefined) {
        const start =
          offset === 'end' ? lines.positionOf(Number.MAX_SAFE_INTEGER) : lines.positionOf(offset.start);
        located.line = start.line;
        located.endLine = start.line;
        located.column = start.column;
        if (offset !== 'end') {
          const end = lines.positionOf(offset.end);
          if (end.line === start.line && end.column > start.column) located.endColumn = end.column;
        }
      }
      // nixfmt puts an end-of-file error on the empty line after the final newline: keep it on the last line.
      if (located.line !== undefined && located.line > Math.max(1, lines.lineCount)) {
        const end = lines.positionOf(Number.MAX_SAFE_INTEGER);
        const { endColumn: _endColumn, ...rest } = located;
        return toCharacters({ ...rest, line: end.line, endLine: end.line, column: end.column }, lines);
      }
      return columns === 'tab-stops' ? tabStopsToCharacters(located, lines) : toCharacters(located, lines);
    }),
  );
}

function toCharacters(finding: Finding, lines: SourceLines): Finding {
  const result: Finding = { ...finding };
  if (result.line !== undefined && result.column !== undefined) {
    result.column = lines.charColumn(result.line, result.column);
  }
  if (result.endColumn !== undefined) {
    result.endColumn = lines.charColumn(result.endLine ?? result.line ?? 1, result.endColumn);
  }
  if (result.fix) result.fix = fixToCharacters(result.fix, lines);
  // An empty span (statix's syntax errors) is a point: GitHub needs no end column for it.
  const sameLine = (result.endLine ?? result.line) === result.line;
  if (sameLine && result.endColumn !== undefined && result.endColumn <= (result.column ?? 0))
    delete result.endColumn;
  return result;
}

function tabStopsToCharacters(finding: Finding, lines: SourceLines): Finding {
  const result: Finding = { ...finding };
  if (result.line !== undefined && result.column !== undefined)
    result.column = lines.charColumnFromTabStops(result.line, result.column);
  if (result.endColumn !== undefined)
    result.endColumn = lines.charColumnFromTabStops(result.endLine ?? result.line ?? 1, result.endColumn);
  return result;
}

function fixToCharacters(fix: Fix, lines: SourceLines): Fix {
  return {
    ...fix,
    column: lines.charColumn(fix.line, fix.column),
    endColumn: lines.charColumn(fix.endLine, fix.endColumn),
  };
}

import type { Logger } from '../core/logger.js';
import { SecretMasker } from '../core/logger.js';

/** Where terminal text goes: stdout for results, stderr for progress; tests pass their own. */
export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Colour only for a terminal, never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function colourFor(stream: TerminalStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function palette(colour: boolean): Palette {
  const paint = (code: string) => (text: string) =>
    colour && text ? `\u001b[${code}m${text}\u001b[0m` : text;
  return {
    bold: paint('1'),
    dim: paint('2'),
    green: paint('32'),
    red: paint('31'),
    yellow: paint('33'),
    cyan: paint('36'),
  };
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a string takes in a terminal: emoji are two wide, escapes and combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  const chars = [...text.replace(ANSI, '')];
  for (const [index, char] of chars.entries()) {
    if (/\p{Mn}|\p{Me}|\u200d|\ufe0e|\ufe0f/u.test(char)) continue;
    // A text-style symbol followed by VS16 (⚠️, ℹ️) is drawn as an emoji, two columns wide.
    const wide =
      chars[index + 1] === '\ufe0f' ||
      /\p{Emoji_Presentation}|[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/u.test(
        char,
      );
    width += wide ? 2 : 1;
  }
  return width;
}

/** Cuts `text` to `width` columns, ending in `…` when it had to cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let result = '';
  for (const char of text.replace(ANSI, '')) {
    if (displayWidth(`${result}${char}`) > width - 1) break;
    result += char;
  }
  return `${result}…`;
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** The width tables and summaries are laid out for. */
export function terminalWidth(stream: TerminalStream): number {
  return stream.isTTY && stream.columns ? Math.max(40, stream.columns) : 120;
}

export interface Columns {
  header: readonly string[];
  rows: readonly (readonly string[])[];
  /** Colours a cell by what it says (✅ green, ❌ red); the text is measured without colour. */
  paintCell?: (text: string, column: number) => string;
}

/**
 * A table as aligned columns, its header bold. When it is wider than `width`, the widest columns
 * are cut first, so short columns like a status stay whole.
 */
export function renderColumns(columns: Columns, width: number, colours: Palette): string[] {
  const count = Math.max(columns.header.length, ...columns.rows.map((row) => row.length));
  const cells = [columns.header, ...columns.rows].map((row) =>
    Array.from({ length: count }, (_, index) => row[index] ?? ''),
  );
  const widths = Array.from({ length: count }, (_, index) =>
    Math.max(...cells.map((row) => displayWidth(row[index] as string))),
  );
  const gap = 2;
  const indent = 2;
  const available = width - indent - gap * (count - 1);
  while (widths.reduce((sum, value) => sum + value, 0) > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] as number) <= 8) break;
    widths[widest] = (widths[widest] as number) - 1;
  }
  const paint = columns.paintCell ?? ((text: string) => text);
  return cells.map((row, rowIndex) => {
    const line = row
      .map((text, index) => {
        const cut = truncate(text, widths[index] as number);
        const padded = index === count - 1 ? cut : padEnd(cut, widths[index] as number);
        if (rowIndex === 0) return colours.bold(padded);
        return padded.replace(cut, paint(cut, index));
      })
      .join(' '.repeat(gap));
    return `${' '.repeat(indent)}${line.trimEnd()}`;
  });
}

/** Colours a status cell: what passed green, what failed red, what was skipped or is a warning yellow. */
export function paintStatus(colours: Palette): (text: string) => string {
  return (text) => {
    if (/✅|✓|\bpassed\b|\bbuilt\b|\bdeployed\b|\bhealthy\b/.test(text)) return colours.green(text);
    if (/❌|✗|\bfailed\b|\bunhealthy\b|\berror\b/.test(text)) return colours.red(text);
    if (/⚠️|⏭|\bskipped\b|\bwarning\b/.test(text)) return colours.yellow(text);
    return text;
  };
}

export interface TerminalLoggerOptions {
  /** Show every line the tools print, and how long each step took. */
  verbose?: boolean;
  /** Progress and logs; stderr, so stdout holds only the result. */
  stream?: TerminalStream;
  colour?: boolean;
}

/**
 * The CLI's logger. Each group (evaluation, a build, a node's deploy, a repository's checks) is a
 * heading; the lines logged inside it are the tools' own output, shown with --verbose, or on a
 * terminal as one transient line under the heading so a long step visibly moves. Lines logged
 * outside a group, warnings and errors are always shown.
 */
export class TerminalLogger implements Logger {
  readonly secrets = new SecretMasker();
  readonly verbose: boolean;
  readonly colours: Palette;
  private readonly stream: TerminalStream;
  private readonly live: boolean;
  private depth = 0;
  private transient = false;

  constructor(options: TerminalLoggerOptions = {}) {
    this.verbose = options.verbose ?? false;
    this.stream = options.stream ?? process.stderr;
    this.colours = palette(options.colour ?? colourFor(this.stream));
    this.live = this.stream.isTTY === true && !this.verbose;
  }

  debug(message: string): void {
    if (this.verbose) this.line(this.colours.dim(this.secrets.redact(message)));
  }
  info(message: string): void {
    const text = this.secrets.redact(message);
    if (this.verbose || this.depth === 0) {
      this.line(`${this.indent()}${this.depth > 0 ? this.colours.dim(text) : text}`);
    } else if (this.live && text.trim()) {
      this.clearTransient();
      const width = terminalWidth(this.stream) - this.indent().length - 2;
      this.stream.write(`${this.indent()}${this.colours.dim(truncate(text.trim(), width))}`);
      this.transient = true;
    }
  }
  warning(message: string): void {
    this.line(`${this.indent()}${this.colours.yellow('warning:')} ${this.secrets.redact(message)}`);
  }
  error(message: string): void {
    this.line(`${this.indent()}${this.colours.red('error:')} ${this.secrets.redact(message)}`);
  }
  async group<T>(title: string, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.line(`${this.indent()}${this.colours.cyan('▸')} ${this.secrets.redact(title)}`);
    this.depth += 1;
    try {
      const value = await body();
      this.depth -= 1;
      this.clearTransient();
      if (this.verbose) this.line(this.colours.dim(`${this.indent()}  done in ${seconds(started)}`));
      return value;
    } catch (error) {
      this.depth -= 1;
      this.clearTransient();
      this.line(
        `${this.indent()}  ${this.colours.red('✗')} ${this.colours.dim(`after ${seconds(started)}`)}`,
      );
      throw error;
    }
  }
  mask(secret: string): void {
    this.secrets.add(secret);
  }

  private indent(): string {
    return '  '.repeat(this.depth);
  }
  private line(text: string): void {
    this.clearTransient();
    this.stream.write(`${text}\n`);
  }
  private clearTransient(): void {
    if (!this.transient) return;
    this.stream.write('\r\u001b[2K');
    this.transient = false;
  }
}

function seconds(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)}s`;
}

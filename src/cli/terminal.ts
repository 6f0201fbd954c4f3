import type { Logger } from '../core/logger.js';
import { SecretMasker } from '../core/logger.js';

const useColour = process.stdout.isTTY === true && !process.env.NO_COLOR;

function paint(code: string, text: string): string {
  return useColour ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const style = {
  bold: (text: string) => paint('1', text),
  dim: (text: string) => paint('2', text),
  green: (text: string) => paint('32', text),
  red: (text: string) => paint('31', text),
  yellow: (text: string) => paint('33', text),
};

/**
 * The CLI's logger: step headings and results on stdout, tool output only with --verbose, warnings
 * and errors on stderr. Groups become a heading with the time they took.
 */
export class TerminalLogger implements Logger {
  readonly secrets = new SecretMasker();

  constructor(private readonly verbose = false) {}

  debug(message: string): void {
    if (this.verbose) process.stderr.write(`${style.dim(this.secrets.redact(message))}\n`);
  }
  info(message: string): void {
    if (this.verbose) process.stdout.write(`  ${this.secrets.redact(message)}\n`);
  }
  warning(message: string): void {
    process.stderr.write(`${style.yellow('warning:')} ${this.secrets.redact(message)}\n`);
  }
  error(message: string): void {
    process.stderr.write(`${style.red('error:')} ${this.secrets.redact(message)}\n`);
  }
  async group<T>(title: string, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    process.stdout.write(`${style.bold('▸')} ${this.secrets.redact(title)}\n`);
    try {
      return await body();
    } finally {
      if (this.verbose) process.stdout.write(style.dim(`  (${Date.now() - started} ms)\n`));
    }
  }
  mask(secret: string): void {
    this.secrets.add(secret);
  }
  /** A line that is part of the result, shown whatever the verbosity. */
  result(message: string): void {
    process.stdout.write(`${this.secrets.redact(message)}\n`);
  }
}

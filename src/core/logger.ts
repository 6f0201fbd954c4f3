/**
 * How capability code talks to whoever runs it: the Actions runner log, a terminal, or a test.
 * Capabilities receive a Logger; they never import `@actions/core`.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Folds everything logged inside `body` under a collapsible heading. */
  group<T>(title: string, body: () => Promise<T>): Promise<T>;
  /** Registers a secret so it never appears in any later output. */
  mask(secret: string): void;
}

export interface RecordedLine {
  level: 'debug' | 'info' | 'warning' | 'error' | 'group-start' | 'group-end';
  message: string;
}

/** A Logger that keeps every line, for tests and for building reports. */
export class RecordingLogger implements Logger {
  readonly lines: RecordedLine[] = [];
  readonly secrets = new SecretMasker();

  debug(message: string): void {
    this.record('debug', message);
  }
  info(message: string): void {
    this.record('info', message);
  }
  warning(message: string): void {
    this.record('warning', message);
  }
  error(message: string): void {
    this.record('error', message);
  }
  async group<T>(title: string, body: () => Promise<T>): Promise<T> {
    this.record('group-start', title);
    try {
      return await body();
    } finally {
      this.record('group-end', title);
    }
  }
  mask(secret: string): void {
    this.secrets.add(secret);
  }
  text(): string {
    return this.lines.map((line) => line.message).join('\n');
  }
  private record(level: RecordedLine['level'], message: string): void {
    this.lines.push({ level, message: this.secrets.redact(message) });
  }
}

/** Replaces every registered secret, and each of its lines, with `***`. */
export class SecretMasker {
  private readonly values = new Set<string>();

  add(secret: string): void {
    for (const value of [secret, ...secret.split(/\r?\n/)]) {
      const trimmed = value.trim();
      if (trimmed.length >= 3) this.values.add(trimmed);
    }
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      result = result.split(value).join('***');
    }
    return result;
  }

  get size(): number {
    return this.values.size;
  }
}

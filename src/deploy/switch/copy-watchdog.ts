import { readFileSync } from 'node:fs';

/**
 * How long a node's copy may go without progress before it counts as stalled: generous, since a node
 * substituting one large path from its own cache sends nothing back until it has it.
 */
export const COPY_STALL_MS = 15 * 60_000;

/** The bytes a process has read and written so far (/proc/<pid>/io), or undefined where Linux has none. */
function bytesMoved(pid: number): number | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const counted = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
    return counted('rchar') + counted('wchar');
  } catch {
    return undefined;
  }
}

/**
 * Aborts a copy that made no progress for `stallMs`: progress is a line on its stderr (the node's
 * Nix reporting what it fetches) or bytes the copying process read or wrote. A link that died is
 * ssh's to notice (ServerAlive); this catches a node that is still there but stopped reading.
 */
export class CopyWatchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private pid: number | undefined;
  private moved: number | undefined;
  private lastProgress = Date.now();

  constructor(readonly stallMs: number) {
    this.timer = setInterval(() => this.check(), Math.max(50, Math.min(5_000, stallMs / 4)));
    this.timer.unref();
  }

  /** Aborted once the copy stalled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stalled(): boolean {
    return this.controller.signal.aborted;
  }

  readonly onSpawn = (pid: number): void => {
    this.pid = pid;
    this.progressed();
  };

  readonly onLine = (): void => this.progressed();

  stop(): void {
    clearInterval(this.timer);
  }

  private progressed(): void {
    this.lastProgress = Date.now();
  }

  private check(): void {
    if (this.pid !== undefined) {
      const moved = bytesMoved(this.pid);
      if (moved !== undefined && moved !== this.moved) {
        this.moved = moved;
        this.progressed();
      }
    }
    if (Date.now() - this.lastProgress < this.stallMs) return;
    this.stop();
    this.controller.abort();
  }
}

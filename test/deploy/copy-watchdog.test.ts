import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CopyWatchdog } from '../../src/deploy/switch/copy-watchdog.js';

/** Small, so that each case takes about a second; the outcomes are asserted, never the timing. */
const WINDOW_MS = 300;

const watchdogs: CopyWatchdog[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const watchdog of watchdogs.splice(0)) watchdog.stop();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function watchdog(): CopyWatchdog {
  const created = new CopyWatchdog(WINDOW_MS);
  watchdogs.push(created);
  return created;
}

/** A child that prints nothing; returns its pid once it runs. */
async function child(command: string, args: readonly string[]): Promise<ChildProcess & { pid: number }> {
  const started = spawn(command, args, { stdio: 'ignore' });
  children.push(started);
  await once(started, 'spawn');
  return started as ChildProcess & { pid: number };
}

/** A node child that moves a few bytes every 20 ms, through `read` or `write`, and prints nothing. */
function nodeMovingBytes(through: 'read' | 'write') {
  const io =
    through === 'write'
      ? "const fd = fs.openSync('/dev/null', 'w'); setInterval(() => fs.writeSync(fd, 'x'), 20);"
      : "const fd = fs.openSync('/dev/zero', 'r'); const buffer = Buffer.alloc(16); setInterval(() => fs.readSync(fd, buffer), 20);";
  return child(process.execPath, ['-e', `const fs = require('node:fs'); ${io}`]);
}

/** Whether the watchdog aborted within `windows` stall windows. */
async function abortedWithin(watched: CopyWatchdog, windows: number): Promise<boolean> {
  if (watched.stalled) return true;
  const timer = new AbortController();
  const aborted = once(watched.signal, 'abort', { signal: timer.signal }).then(
    () => true,
    () => false,
  );
  const gaveUp = sleep(windows * WINDOW_MS, false, { signal: timer.signal }).catch(() => false);
  const outcome = await Promise.race([aborted, gaveUp]);
  timer.abort();
  return outcome;
}

/** Calls `onLine` every 50 ms for `windows` stall windows. */
async function printLines(watched: CopyWatchdog, windows: number): Promise<void> {
  for (let elapsed = 0; elapsed < windows * WINDOW_MS; elapsed += 50) {
    watched.onLine();
    await sleep(50);
  }
}

describe('CopyWatchdog', () => {
  it.each(['write', 'read'] as const)(
    'keeps a copy alive that prints no line but keeps moving bytes (%s)',
    async (through) => {
      const copy = await nodeMovingBytes(through);
      const watched = watchdog();
      watched.onSpawn(copy.pid);

      expect(await abortedWithin(watched, 4)).toBe(false);
      expect(watched.stalled).toBe(false);

      // The same child stopped: its bytes no longer move, so it stalls.
      copy.kill('SIGSTOP');
      expect(await abortedWithin(watched, 10)).toBe(true);
      copy.kill('SIGCONT');
    },
  );

  it('aborts a copy that sleeps, moving no bytes and printing nothing', async () => {
    const copy = await child('sleep', ['60']);
    const watched = watchdog();
    watched.onSpawn(copy.pid);

    expect(await abortedWithin(watched, 10)).toBe(true);
    expect(watched.signal.aborted).toBe(true);
  });

  it('keeps a sleeping copy alive while it prints lines, and aborts it once they stop', async () => {
    const copy = await child('sleep', ['60']);
    const watched = watchdog();
    watched.onSpawn(copy.pid);

    await printLines(watched, 4);
    expect(watched.stalled).toBe(false);

    expect(await abortedWithin(watched, 10)).toBe(true);
  });

  it('aborts nothing once stopped', async () => {
    const copy = await child('sleep', ['60']);
    const watched = watchdog();
    watched.onSpawn(copy.pid);
    watched.stop();

    expect(await abortedWithin(watched, 5)).toBe(false);
  });

  it('goes by lines alone for a process that has exited', async () => {
    const exited = spawn('true', [], { stdio: 'ignore' });
    await once(exited, 'exit');
    const watched = watchdog();
    watched.onSpawn(exited.pid as number);

    await printLines(watched, 4);
    expect(watched.stalled).toBe(false);

    expect(await abortedWithin(watched, 10)).toBe(true);
  });

  it('goes by lines alone before any process was spawned', async () => {
    const watched = watchdog();

    await printLines(watched, 4);
    expect(watched.stalled).toBe(false);

    expect(await abortedWithin(watched, 10)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { concurrencyGate } from '../../src/core/concurrency.js';

describe('concurrencyGate', () => {
  it('runs at most `limit` works at once, the rest in the order they came, and passes results and errors on', async () => {
    const gate = concurrencyGate(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const work = (id: number) =>
      gate(async () => {
        started.push(id);
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        if (id === 3) throw new Error('three failed');
        return id * 10;
      });
    const works = [1, 2, 3, 4].map(work);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2]);
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const settled = await Promise.allSettled(works);
    expect(
      settled.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason))),
    ).toEqual([10, 20, 'Error: three failed', 40]);
    expect(started).toEqual([1, 2, 3, 4]);
    expect(most).toBe(2);
  });
});

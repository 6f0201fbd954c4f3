import { describe, expect, it } from 'vitest';
import { mapConcurrently, Slots } from '../../src/core/concurrency.js';

describe('Slots', () => {
  it('runs at most its size at once, across callers, in the order they asked', async () => {
    const slots = new Slots(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (index: number) =>
      slots.run(async () => {
        started.push(index);
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5 + (index % 3)));
        running -= 1;
        return index * 2;
      });
    // Two callers, each starting its tasks at once: they share the three slots.
    const [first, second] = await Promise.all([
      Promise.all([0, 1, 2, 3, 4].map(task)),
      Promise.all([5, 6, 7, 8, 9].map(task)),
    ]);
    expect(first).toEqual([0, 2, 4, 6, 8]);
    expect(second).toEqual([10, 12, 14, 16, 18]);
    expect(most).toBe(3);
    expect(started.slice(0, 3)).toEqual([0, 1, 2]);
    expect([...started].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frees the slot of a task that failed', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('tool crashed')))).rejects.toThrow('tool crashed');
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});

describe('mapConcurrently', () => {
  it('keeps the order of the results', async () => {
    expect(await mapConcurrently([3, 1, 2], 2, async (n) => n * 10)).toEqual([30, 10, 20]);
  });
});

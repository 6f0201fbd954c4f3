import { describe, expect, it } from 'vitest';
import { parseSizeKiB } from '../../src/core/inputs.js';
import { evalWorkerLimits, parseTrace, procStatusMemory } from '../../src/nix/eval-workers.js';

const GiB = 1024 * 1024;

describe('eval-workers limits', () => {
  it('shares a 4-core 16 GiB runner so every worker at its limit plus one host fits', () => {
    const limits = evalWorkerLimits({}, { cores: 4, memoryKiB: 16 * GiB });
    expect(limits.workers).toBe(4);
    // 16 GiB / (4 + 1), to the MiB: about 3 GiB each.
    expect(limits.maxMemoryKiB).toBe(3276 * 1024);
    expect(limits.defaulted).toEqual({ workers: true, maxMemory: true });
  });

  it('never defaults to more than 4 GiB, and keeps what the user gave', () => {
    expect(evalWorkerLimits({}, { cores: 2, memoryKiB: 64 * GiB }).maxMemoryKiB).toBe(4 * GiB);
    const given = evalWorkerLimits(
      { workers: 3, maxMemoryKiB: 600 * 1024 },
      { cores: 2, memoryKiB: 8 * GiB },
    );
    expect(given).toEqual({
      workers: 3,
      maxMemoryKiB: 600 * 1024,
      defaulted: { workers: false, maxMemory: false },
    });
    expect(evalWorkerLimits({ workers: 7 }, { cores: 2, memoryKiB: 16 * GiB }).maxMemoryKiB).toBe(
      2048 * 1024,
    );
  });

  it.each([
    ['600MiB', 600 * 1024],
    ['3GiB', 3 * GiB],
    ['1.5GiB', 1.5 * GiB],
    [' 512KiB ', 512],
    ['600', undefined],
    ['600MB', undefined],
    ['0MiB', undefined],
    ['lots', undefined],
  ])('reads %j as %j KiB', (raw, kib) => {
    expect(parseSizeKiB(raw)).toBe(kib);
  });
});

describe('eval-workers traces', () => {
  it('reads start and done markers as Nix 2.8 prints them and as newer Nix quotes them', () => {
    expect(parseTrace('trace: flakeflow-host-start nixos/pi')).toEqual({ start: 'nixos/pi' });
    expect(parseTrace('trace: "flakeflow-host-start home/alice@workstation"')).toEqual({
      start: 'home/alice@workstation',
    });
    expect(parseTrace('trace: flakeflow-host-done {"drvPath":"/nix/store/x.drv"}')).toEqual({
      done: { drvPath: '/nix/store/x.drv' },
    });
    expect(parseTrace('trace: "flakeflow-host-done {\\"name\\":\\"pi\\"}"')).toEqual({
      done: { name: 'pi' },
    });
    expect(parseTrace('trace: something else')).toBeUndefined();
    expect(parseTrace('error: flakeflow-host-start nixos/pi')).toBeUndefined();
  });

  it('reads the memory of a live process from /proc and nothing of one that is gone', () => {
    const own = procStatusMemory(process.pid);
    expect(own?.rssKiB).toBeGreaterThan(1024);
    expect(own?.peakKiB).toBeGreaterThanOrEqual(own?.rssKiB ?? Number.POSITIVE_INFINITY);
    expect(procStatusMemory(2 ** 22 + 1)).toBeUndefined();
  });
});

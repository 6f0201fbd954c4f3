import { describe, expect, it } from 'vitest';
import { resultFileName } from '../../src/build/build-result.js';
import { parseDiffClosures } from '../../src/build/diff-closures.js';
import { buildSummary, formatDelta } from '../../src/build/summary.js';
import { buildTargets } from '../../src/build/targets.js';
import { derivationInstallable } from '../../src/nix/store.js';
import { parseNixVersion } from '../../src/nix/version.js';

const DRV = '/nix/store/vay4zcbd1ss44cbphgp69d5qp1rw2f4k-nixos-system-pi-24.11.drv';

describe('parseDiffClosures', () => {
  it('reads versions, additions, removals, version-less packages and size-only changes', () => {
    const output = [
      'firefox: 128.0 → 129.0.1, +1234.5 KiB',
      'linux: 6.6.40, 6.6.40-modules → 6.6.41, 6.6.41-modules, -20.0 KiB',
      'tailscale: ∅ → 1.70.0, +30512.0 KiB',
      'nano: 8.0 → ∅, -2345.1 KiB',
      'etc: ε → ε, +9.3 KiB',
      '\u001b[1mglibc\u001b[0m: +16.0 KiB',
      'not a diff line',
    ].join('\n');
    expect(parseDiffClosures(output)).toEqual([
      { name: 'firefox', before: ['128.0'], after: ['129.0.1'], sizeDelta: 1_264_128 },
      {
        name: 'linux',
        before: ['6.6.40', '6.6.40-modules'],
        after: ['6.6.41', '6.6.41-modules'],
        sizeDelta: -20_480,
      },
      { name: 'tailscale', before: [], after: ['1.70.0'], sizeDelta: 31_244_288 },
      { name: 'nano', before: ['8.0'], after: [], sizeDelta: -2_401_382 },
      { name: 'etc', before: [''], after: [''], sizeDelta: 9_523 },
      { name: 'glibc', before: [], after: [], sizeDelta: 16_384 },
    ]);
  });
});

describe('buildTargets', () => {
  it('pairs the space-separated values of a packed entry', () => {
    expect(buildTargets({ host: 'a b', 'drv-path': `${DRV} ${DRV}` })).toEqual([
      { name: 'a', host: 'a', drvPath: DRV },
      { name: 'b', host: 'b', drvPath: DRV },
    ]);
    expect(buildTargets({ attr: 'packages.x86_64-linux.default' })).toEqual([
      { name: 'packages.x86_64-linux.default', attr: 'packages.x86_64-linux.default' },
    ]);
  });

  it.each([
    [{}, "Input 'host' must name what to build (or give 'attr' or 'drv-path'), got nothing"],
    [{ host: 'a b', attr: 'x' }, "Input 'attr' must list 2 values like the other inputs, got 1"],
    [
      { 'drv-path': '/tmp/x.drv' },
      "Input 'drv-path' must be store paths of derivations (/nix/store/….drv), got '/tmp/x.drv'",
    ],
  ])('refuses %j', (settings, message) => {
    expect(() => buildTargets(settings)).toThrow(message);
  });
});

describe('derivationInstallable', () => {
  it('uses drv^* from Nix 2.13 on and the bare path before', () => {
    expect(derivationInstallable(parseNixVersion('nix (Nix) 2.8.0'), DRV)).toBe(DRV);
    expect(derivationInstallable(parseNixVersion('nix (Nix) 2.18.1'), DRV)).toBe(`${DRV}^*`);
    expect(derivationInstallable(parseNixVersion('nix (Lix, like Nix) 2.91.1'), DRV)).toBe(`${DRV}^*`);
  });
});

describe('result files and summaries', () => {
  it('names the file after the first host', () => {
    expect(resultFileName(['alice@workstation'])).toBe('flakeflow-result-alice@workstation.json');
    expect(resultFileName(['a/b', 'c'])).toBe('flakeflow-result-a_b+1.json');
  });

  it('shows closure, delta, changed packages and failures', () => {
    const summary = buildSummary({
      resultFile: '/tmp/r.json',
      pushFailures: [],
      results: [
        {
          host: 'pi',
          system: 'aarch64-linux',
          status: 'built',
          closureSize: 2 * 1024 * 1024,
          durationMs: 2_500,
          comparison: {
            revision: 'origin/main',
            status: 'compared',
            delta: 10_240,
            changes: [{ name: 'firefox', before: ['128.0'], after: ['129.0'], sizeDelta: 10_240 }],
            diff: 'firefox: 128.0 → 129.0, +10.0 KiB',
          },
        },
        { host: 'gateway', status: 'failed', error: 'error: builder failed' },
      ],
    });
    expect(summary).toContain('| pi | aarch64-linux | ✅ built | 2.0 MiB | +10.0 KiB | 2.5 s |');
    expect(summary).toContain('| firefox | 128.0 | 129.0 | +10.0 KiB |');
    expect(summary).toContain('<summary>❌ <code>gateway</code> failed</summary>');
    expect(formatDelta(-2048)).toBe('-2.0 KiB');
  });
});

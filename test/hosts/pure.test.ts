import { describe, expect, it } from 'vitest';
import { globToRegex, matchesAny } from '../../src/hosts/globs.js';
import { attrPathText, parseAttrPath } from '../../src/hosts/host.js';
import { balancedChunks, type MatrixEntry, packMatrix } from '../../src/hosts/matrix.js';
import { nixString } from '../../src/nix/fleet-expression.js';
import { readFleetTraces } from '../../src/nix/fleet-nix-eval.js';
import { closureSizesOf, validPathsOf } from '../../src/nix/store.js';

describe('globToRegex', () => {
  it.each([
    ['srv-*', 'srv-001', true],
    ['srv-*', 'arm-001', false],
    ['srv-00?', 'srv-001', true],
    ['srv-00?', 'srv-0010', false],
    ['srv-00[12]', 'srv-002', true],
    ['srv-00[!12]', 'srv-002', false],
    ['srv-00[!12]', 'srv-003', true],
    ['alice@*', 'alice@workstation', true],
    ['checks.*', 'checks.x86_64-linux.fmt', true],
    ['checks.*', 'checksXfmt', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
  ])('%s against %s is %s', (glob, name, expected) => {
    expect(matchesAny([globToRegex(glob, 'include')], name)).toBe(expected);
  });

  it('names the input of an unclosed class', () => {
    expect(() => globToRegex('srv-[12', 'exclude')).toThrow(
      "Input 'exclude' has an unclosed '[' in the glob 'srv-[12'",
    );
  });
});

describe('nixString', () => {
  it('escapes quotes, backslashes and interpolation', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Nix interpolation, escaped
    expect(nixString('a"b\\c${d}\n')).toBe('"a\\"b\\\\c\\${d}\\n"');
  });
});

describe('attribute paths', () => {
  it('quotes names Nix needs quoted and reads them back', () => {
    const path = ['homeConfigurations', 'alice@workstation', 'activationPackage'];
    expect(attrPathText(path)).toBe('homeConfigurations."alice@workstation".activationPackage');
    expect(parseAttrPath(attrPathText(path))).toEqual(path);
    expect(parseAttrPath('checks."x86_64-linux.fmt"')).toEqual(['checks', 'x86_64-linux.fmt']);
  });
});

describe('readFleetTraces', () => {
  it('keeps finished records and names the host that was being evaluated', () => {
    const stderr = [
      'trace: flakeflow-host-start nixos/a',
      'trace: flakeflow-host-done {"kind":"nixos","name":"a","failed":true}',
      'warning: something',
      `trace: "flakeflow-host-start home/alice@ws"`,
      'error: undefined variable',
    ].join('\n');
    expect(readFleetTraces(stderr)).toEqual({
      done: [{ kind: 'nixos', name: 'a', failed: true }],
      unfinished: { kind: 'home', name: 'alice@ws' },
    });
    expect(readFleetTraces('error: syntax error').unfinished).toBeUndefined();
  });
});

function entry(host: string, runner: string | string[], evalOnly = false): MatrixEntry {
  return {
    host,
    kind: 'nixos',
    system: 'x86_64-linux',
    runner,
    attr: `a.${host}`,
    drvPath: `/d/${host}`,
    evalOnly,
  };
}

describe('packMatrix', () => {
  it('keeps a matrix within max-jobs as it is', () => {
    const entries = [entry('a', 'x'), entry('b', 'y')];
    expect(packMatrix(entries, 2)).toEqual(entries);
  });

  it('shares entries per runner, balanced, never mixing runners or eval-only hosts', () => {
    const entries = [
      ...Array.from({ length: 9 }, (_, index) => entry(`x${index}`, 'ubuntu-latest')),
      entry('m1', 'macos-latest'),
      entry('e1', 'ubuntu-latest', true),
      entry('s1', ['self-hosted', 'nix']),
      entry('s2', ['nix', 'self-hosted']),
    ];
    const packed = packMatrix(entries, 6);
    expect(packed).toHaveLength(6);
    expect(packed.map((item) => item.hosts ?? [item.host])).toEqual([
      ['x0', 'x1', 'x2'],
      ['x3', 'x4', 'x5'],
      ['x6', 'x7', 'x8'],
      ['m1'],
      ['e1'],
      ['s1', 's2'],
    ]);
    expect(packed[0]).toMatchObject({
      host: 'x0 x1 x2',
      attr: 'a.x0 a.x1 a.x2',
      drvPath: '/d/x0 /d/x1 /d/x2',
    });
    expect(packed[4]?.evalOnly).toBe(true);
  });

  it('refuses a max-jobs below the number of runners', () => {
    expect(() => packMatrix([entry('a', 'x'), entry('b', 'y'), entry('c', 'z')], 2)).toThrow(
      "Input 'max-jobs' must be at least 3: the matrix needs one entry per runner (x; y; z), got 2",
    );
  });

  it('splits into chunks whose sizes differ by one at most', () => {
    expect(balancedChunks([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([
      [1, 2, 3],
      [4, 5],
      [6, 7],
    ]);
  });
});

describe('nix path-info JSON', () => {
  it('reads both shapes', () => {
    expect(validPathsOf([{ path: '/nix/store/a', valid: false }, { path: '/nix/store/b' }])).toEqual([
      '/nix/store/b',
    ]);
    expect(validPathsOf({ '/nix/store/a': null, '/nix/store/b': { narSize: 1 } })).toEqual(['/nix/store/b']);
    expect(closureSizesOf([{ path: '/nix/store/a', closureSize: 10 }]).get('/nix/store/a')).toBe(10);
    expect(closureSizesOf({ '/nix/store/a': { closureSize: 12 } }).get('/nix/store/a')).toBe(12);
  });
});

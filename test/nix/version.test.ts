import { describe, expect, it } from 'vitest';
import { isAtLeast, parseNixVersion, updatesNamedInputs } from '../../src/nix/version.js';

describe('parseNixVersion', () => {
  it.each([
    ['nix (Nix) 2.8.0', 2, 8, 0, 'Nix'],
    ['nix (Nix) 2.18.1\n', 2, 18, 1, 'Nix'],
    ['nix (Nix) 2.31.1', 2, 31, 1, 'Nix'],
    ['nix (Determinate Nix 3.8.2) 2.30.1', 2, 30, 1, 'Determinate Nix 3.8.2'],
    ['nix (Nix) 2.24.0pre20240701_abcdef12', 2, 24, 0, 'Nix'],
    ['nix (Nix) 2.3', 2, 3, 0, 'Nix'],
    ['nix (Lix, like Nix) 2.91.1\nSystem type: x86_64-linux', 2, 91, 1, 'Lix, like Nix'],
  ])('reads %j', (output, major, minor, patch, flavor) => {
    expect(parseNixVersion(output)).toMatchObject({ major, minor, patch, flavor });
  });

  it('refuses output that is not a version', () => {
    expect(() => parseNixVersion('bash: nix: command not found')).toThrow(/cannot read a Nix version/);
  });
});

describe('updatesNamedInputs', () => {
  it.each([
    ['nix (Nix) 2.8.0', false],
    ['nix (Nix) 2.18.9', false],
    ['nix (Nix) 2.19.0', true],
    ['nix (Nix) 2.31.1', true],
    ['nix (Determinate Nix 3.8.2) 2.30.1', true],
    ['nix (Lix, like Nix) 2.91.1', false],
  ])('%s → %s', (output, expected) => {
    expect(updatesNamedInputs(parseNixVersion(output))).toBe(expected);
  });

  it('compares minor versions as numbers', () => {
    expect(isAtLeast(parseNixVersion('nix (Nix) 2.9.0'), 2, 19)).toBe(false);
    expect(isAtLeast(parseNixVersion('nix (Nix) 3.0.0'), 2, 19)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { FlakeLock } from '../../src/nix/lock-file.js';
import { github, lockText, rev } from './lock-fixtures.js';

/** home-manager has its own nixpkgs (nixpkgs_2); deploy-rs follows the flake's nixpkgs. */
function fleetLock(version = 7): string {
  return lockText(
    { nixpkgs: 'nixpkgs', 'home-manager': 'home-manager', 'deploy-rs': 'deploy-rs' },
    {
      nixpkgs: github('NixOS', 'nixpkgs', rev('a'), 0),
      nixpkgs_2: github('NixOS', 'nixpkgs', rev('b'), -10),
      'home-manager': github('nix-community', 'home-manager', rev('c'), 0, {
        inputs: { nixpkgs: 'nixpkgs_2' },
      }),
      'deploy-rs': github('serokell', 'deploy-rs', rev('d'), 0, {
        inputs: { nixpkgs: ['nixpkgs'], utils: 'utils' },
      }),
      utils: github('numtide', 'flake-utils', rev('e'), 0, {
        inputs: { systems: ['home-manager', 'nixpkgs'] },
      }),
    },
    version,
  );
}

describe('FlakeLock.parse', () => {
  it.each([5, 6, 7])('reads lock file version %i', (version) => {
    const lock = FlakeLock.parse(fleetLock(version));
    expect(lock.version).toBe(version);
    expect(lock.directInputNames()).toEqual(['nixpkgs', 'home-manager', 'deploy-rs']);
  });

  it.each([4, 8])('refuses version %i with one line naming the versions it reads', (version) => {
    expect(() => FlakeLock.parse(fleetLock(version), 'infra/flake.lock')).toThrow(
      new UserError(
        `infra/flake.lock has lock file version ${version}; flakeflow reads versions 5 to 7 (Nix 2.4 and later): relock it with a current Nix`,
      ),
    );
  });

  it('says what is wrong with text that is not a lock file', () => {
    expect(() => FlakeLock.parse('{"nodes": 1')).toThrow(/^flake.lock is not valid JSON/);
    expect(() => FlakeLock.parse('{"version": 7, "root": "root"}')).toThrow(
      'flake.lock is not a flake lock file: Invalid input: expected record, received undefined at nodes',
    );
    expect(() => FlakeLock.parse('{"version": 7, "root": "top", "nodes": {}}')).toThrow(
      "flake.lock names root node 'top', which it does not contain",
    );
  });

  it("merges a version 5 node's info (lastModified, narHash) into its locked source", () => {
    const text = lockText(
      { nixpkgs: 'nixpkgs' },
      {
        nixpkgs: {
          info: { lastModified: 1_600_000_000, narHash: 'sha256-x' },
          locked: { owner: 'NixOS', repo: 'nixpkgs', rev: rev('a'), type: 'github' },
          original: { owner: 'NixOS', repo: 'nixpkgs', type: 'github' },
        },
      },
      5,
    );
    expect(FlakeLock.parse(text).node('nixpkgs')?.locked).toMatchObject({
      lastModified: 1_600_000_000,
      narHash: 'sha256-x',
      rev: rev('a'),
    });
  });

  it('keeps flake = false and accepts the version 7 parent of a relative path input', () => {
    const text = lockText(
      { secrets: 'secrets', sub: 'sub' },
      {
        secrets: {
          flake: false,
          locked: { type: 'git', url: 'file:///s', rev: rev('1') },
          original: { type: 'git', url: 'file:///s' },
        },
        sub: {
          locked: { type: 'path', path: './sub' },
          original: { type: 'path', path: './sub' },
          parent: [],
        },
      },
    );
    const lock = FlakeLock.parse(text);
    expect(lock.node('secrets')?.flake).toBe(false);
    expect(lock.node('sub')?.flake).toBe(true);
  });
});

describe('FlakeLock.resolve', () => {
  const lock = FlakeLock.parse(fleetLock());

  it('walks node keys, whatever their suffix', () => {
    expect(lock.resolve(['home-manager', 'nixpkgs'])?.key).toBe('nixpkgs_2');
    expect(lock.resolve(['nixpkgs'])?.key).toBe('nixpkgs');
  });

  it('follows `follows` paths from the root, also through another follows', () => {
    expect(lock.resolve(['deploy-rs', 'nixpkgs'])?.key).toBe('nixpkgs');
    expect(lock.resolve(['deploy-rs', 'utils', 'systems'])?.key).toBe('nixpkgs_2');
  });

  it('answers undefined for a path that does not exist or a follows cycle', () => {
    expect(lock.resolve(['flake-utils'])).toBeUndefined();
    const cyclic = FlakeLock.parse(lockText({ a: ['b'], b: ['a'] }, {}));
    expect(cyclic.resolve(['a'])).toBeUndefined();
  });
});

describe('FlakeLock.inputPaths', () => {
  it('lists every path, a shared node under each path reaching it, follows kept as follows', () => {
    const shared = lockText(
      { a: 'a', b: 'b', nixpkgs: 'nixpkgs' },
      {
        a: github('o', 'a', rev('1'), 0, { inputs: { utils: 'utils', nixpkgs: ['nixpkgs'] } }),
        b: github('o', 'b', rev('2'), 0, { inputs: { utils: 'utils' } }),
        utils: github('numtide', 'flake-utils', rev('3'), 0, { inputs: { systems: 'systems' } }),
        systems: github('nix-systems', 'default', rev('4'), 0),
        nixpkgs: github('NixOS', 'nixpkgs', rev('5'), 0),
      },
    );
    expect(Object.fromEntries(FlakeLock.parse(shared).inputPaths())).toEqual({
      a: { key: 'a' },
      'a/nixpkgs': { follows: ['nixpkgs'] },
      'a/utils': { key: 'utils' },
      'a/utils/systems': { key: 'systems' },
      b: { key: 'b' },
      'b/utils': { key: 'utils' },
      'b/utils/systems': { key: 'systems' },
      nixpkgs: { key: 'nixpkgs' },
    });
  });

  it('gives the edge a path ends with, also below a follows', () => {
    const lock = FlakeLock.parse(fleetLock());
    expect(lock.edge(['deploy-rs', 'nixpkgs'])).toEqual({ follows: ['nixpkgs'] });
    expect(lock.edge(['deploy-rs', 'utils', 'systems'])).toEqual({ follows: ['home-manager', 'nixpkgs'] });
    expect(lock.edge(['home-manager'])).toEqual({ key: 'home-manager' });
    expect(lock.edge(['nowhere', 'nixpkgs'])).toBeUndefined();
  });
});

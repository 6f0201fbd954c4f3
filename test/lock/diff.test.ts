import { describe, expect, it } from 'vitest';
import { diffLocks, staleInputs } from '../../src/lock/diff.js';
import { FlakeLock } from '../../src/nix/lock-file.js';
import { github, JUNE_1, lockText, rev } from './lock-fixtures.js';

function parse(text: string) {
  return FlakeLock.parse(text);
}

const before = parse(
  lockText(
    { nixpkgs: 'nixpkgs', 'home-manager': 'home-manager', secrets: 'secrets', old: 'old' },
    {
      nixpkgs: github('NixOS', 'nixpkgs', rev('a'), 0),
      'home-manager': github('nix-community', 'home-manager', rev('c'), 0, {
        inputs: { nixpkgs: 'nixpkgs_2' },
      }),
      nixpkgs_2: github('NixOS', 'nixpkgs', rev('b'), -3),
      secrets: {
        flake: false,
        locked: { lastModified: JUNE_1, rev: rev('1'), type: 'git', url: 'file:///srv/secrets', ref: 'main' },
        original: { type: 'git', url: 'file:///srv/secrets' },
      },
      old: github('alice', 'old', rev('9'), -400),
    },
  ),
);

// nixpkgs moved 11 days; home-manager now follows nixpkgs (its own nixpkgs_2 is gone, keys renumbered);
// secrets moved within the day; `old` did not move; `agenix` is new.
const after = parse(
  lockText(
    {
      nixpkgs: 'nixpkgs',
      'home-manager': 'home-manager',
      secrets: 'secrets',
      old: 'old',
      agenix: 'agenix',
    },
    {
      nixpkgs: github('NixOS', 'nixpkgs', rev('f'), 11),
      'home-manager': github('nix-community', 'home-manager', rev('d'), 2, {
        inputs: { nixpkgs: ['nixpkgs'] },
      }),
      secrets: {
        flake: false,
        locked: {
          lastModified: JUNE_1 + 3600,
          rev: rev('2'),
          type: 'git',
          url: 'file:///srv/secrets',
          ref: 'main',
        },
        original: { type: 'git', url: 'file:///srv/secrets' },
      },
      old: github('alice', 'old', rev('9'), -400),
      agenix: github('ryantm', 'agenix', rev('5'), 1),
    },
  ),
);

describe('diffLocks', () => {
  const diff = diffLocks(before, after);

  it('lists updated and added direct inputs with revisions, dates, days gained and compare links', () => {
    expect(diff.direct).toEqual([
      {
        input: 'agenix',
        paths: ['agenix'],
        direct: true,
        kind: 'added',
        type: 'github',
        to: expect.objectContaining({ rev: rev('5'), date: '2024-06-02T00:00:00Z', ref: 'nixos-unstable' }),
        url: `https://github.com/ryantm/agenix/commit/${rev('5')}`,
      },
      {
        input: 'home-manager',
        paths: ['home-manager'],
        direct: true,
        kind: 'updated',
        type: 'github',
        from: expect.objectContaining({ rev: rev('c'), date: '2024-06-01T00:00:00Z' }),
        to: expect.objectContaining({ rev: rev('d'), date: '2024-06-03T00:00:00Z' }),
        daysGained: 2,
        url: `https://github.com/nix-community/home-manager/compare/${rev('c')}...${rev('d')}`,
      },
      {
        input: 'nixpkgs',
        paths: ['nixpkgs'],
        direct: true,
        kind: 'updated',
        type: 'github',
        from: expect.objectContaining({ rev: rev('a') }),
        to: expect.objectContaining({ rev: rev('f'), date: '2024-06-12T00:00:00Z' }),
        daysGained: 11,
        url: `https://github.com/NixOS/nixpkgs/compare/${rev('a')}...${rev('f')}`,
      },
      {
        input: 'secrets',
        paths: ['secrets'],
        direct: true,
        kind: 'updated',
        type: 'git',
        from: { rev: rev('1'), date: '2024-06-01T00:00:00Z', ref: 'main', source: 'git+file:///srv/secrets' },
        to: { rev: rev('2'), date: '2024-06-01T01:00:00Z', ref: 'main', source: 'git+file:///srv/secrets' },
        // Both dates read 2024-06-01: the same calendar day.
        daysGained: 0,
      },
    ]);
  });

  it('matches inputs of inputs by path, not by node key, and reports a switch to follows', () => {
    // home-manager/nixpkgs had its own node (b, 05-29); it now follows nixpkgs, which is at f (06-12).
    expect(diff.transitive).toEqual([
      {
        input: 'home-manager/nixpkgs',
        paths: ['home-manager/nixpkgs'],
        direct: false,
        kind: 'updated',
        type: 'github',
        from: expect.objectContaining({ rev: rev('b'), date: '2024-05-29T00:00:00Z' }),
        to: expect.objectContaining({ rev: rev('f'), follows: 'nixpkgs' }),
        follows: [{ path: 'home-manager/nixpkgs', to: 'nixpkgs' }],
        daysGained: 14,
        url: `https://github.com/NixOS/nixpkgs/compare/${rev('b')}...${rev('f')}`,
      },
    ]);
  });

  it('finds nothing between a lock and itself, even with renumbered keys', () => {
    const renumbered = parse(
      lockText({ a: 'nixpkgs_3' }, { nixpkgs_3: github('NixOS', 'nixpkgs', rev('a'), 0) }),
    );
    const original = parse(lockText({ a: 'nixpkgs' }, { nixpkgs: github('NixOS', 'nixpkgs', rev('a'), 0) }));
    expect(diffLocks(original, renumbered)).toEqual({ direct: [], transitive: [] });
    expect(diffLocks(after, after)).toEqual({ direct: [], transitive: [] });
  });

  it('reports a removed input and a move back in time', () => {
    const back = parse(
      lockText({ nixpkgs: 'nixpkgs' }, { nixpkgs: github('NixOS', 'nixpkgs', rev('0'), -2) }),
    );
    const changes = diffLocks(before, back).direct;
    expect(changes.find((change) => change.input === 'nixpkgs')?.daysGained).toBe(-2);
    expect(changes.filter((change) => change.kind === 'removed').map((change) => change.input)).toEqual([
      'home-manager',
      'old',
      'secrets',
    ]);
  });
});

describe('staleInputs', () => {
  const now = new Date('2024-07-01T00:00:00Z');

  it('flags direct inputs whose lock is older than the limit', () => {
    expect(staleInputs(after, 30, now)).toEqual([
      {
        input: 'old',
        rev: rev('9'),
        date: '2023-04-28T00:00:00Z',
        ageDays: 430,
        url: `https://github.com/alice/old/commit/${rev('9')}`,
      },
    ]);
    expect(staleInputs(after, 20, now).map((input) => input.input)).toEqual([
      'home-manager',
      'secrets',
      'old',
      'agenix',
    ]);
  });

  it('leaves out inputs pinned to a revision in flake.nix, and does nothing with a limit of 0', () => {
    const pinned = parse(
      lockText(
        { old: 'old' },
        {
          old: github('alice', 'old', rev('9'), -400, {
            original: { type: 'github', owner: 'alice', repo: 'old', rev: rev('9') },
          }),
        },
      ),
    );
    expect(staleInputs(pinned, 30, now)).toEqual([]);
    expect(staleInputs(after, 0, now)).toEqual([]);
  });

  it('looks only at the inputs it is given', () => {
    expect(staleInputs(after, 20, now, ['secrets']).map((input) => input.input)).toEqual(['secrets']);
  });
});

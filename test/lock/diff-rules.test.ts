import { describe, expect, it } from 'vitest';
import { diffLocks } from '../../src/lock/diff.js';
import { FlakeLock } from '../../src/nix/lock-file.js';
import { github, JUNE_1, lockText, type NodeSpec, rev } from './lock-fixtures.js';

function diff(before: string, after: string) {
  const changes = diffLocks(FlakeLock.parse(before), FlakeLock.parse(after));
  return [...changes.direct, ...changes.transitive];
}

function gitInput(revision: string, ref: string, seconds = JUNE_1): NodeSpec {
  return {
    locked: {
      lastModified: seconds,
      narHash: `sha256-${revision.slice(0, 8)}=`,
      ref,
      rev: revision,
      revCount: 70,
      type: 'git',
      url: 'https://git.example.org/infra/secrets',
    },
    original: { ref: 'main', type: 'git', url: 'https://git.example.org/infra/secrets' },
  };
}

describe('what counts as a move', () => {
  it('ignores the ref rewrite of newer Nix (main → refs/heads/main) at the same revision', () => {
    const before = lockText({ secrets: 'secrets' }, { secrets: gitInput(rev('1'), 'main') });
    const after = lockText({ secrets: 'secrets' }, { secrets: gitInput(rev('1'), 'refs/heads/main') });
    expect(diff(before, after)).toEqual([]);
  });

  it('shows the branch as main, not refs/heads/main, when the input did move', () => {
    const before = lockText({ secrets: 'secrets' }, { secrets: gitInput(rev('1'), 'main') });
    const after = lockText(
      { secrets: 'secrets' },
      { secrets: { ...gitInput(rev('2'), 'refs/heads/main'), original: { type: 'git', url: 'u' } } },
    );
    expect(diff(before, after)[0]?.to?.ref).toBe('main');
  });

  it.each([
    ['rev', { rev: rev('2') }],
    ['narHash', { narHash: 'sha256-other=' }],
    ['lastModified', { lastModified: JUNE_1 + 60 }],
  ])('counts a change of %s alone as a move', (_, change) => {
    const node = gitInput(rev('1'), 'main');
    const before = lockText({ secrets: 'secrets' }, { secrets: node });
    const after = lockText(
      { secrets: 'secrets' },
      { secrets: { ...node, locked: { ...node.locked, ...change } } },
    );
    expect(diff(before, after).map((row) => row.kind)).toEqual(['updated']);
  });
});

describe('shared nodes', () => {
  const tree = (nixpkgs: string, hooksNixpkgs: string[] | string) =>
    lockText(
      { nixpkgs: 'nixpkgs', 'git-hooks': 'git-hooks', ipwatch: 'ipwatch' },
      {
        nixpkgs: github('NixOS', 'nixpkgs', rev(nixpkgs), nixpkgs === 'a' ? 0 : 3),
        nixpkgs_2: github('NixOS', 'nixpkgs', rev('a'), 0),
        'git-hooks': github('cachix', 'git-hooks.nix', rev('c'), 0, {
          inputs: { nixpkgs: hooksNixpkgs },
        }),
        ipwatch: github('jmbaur', 'ipwatch', rev('d'), 0, {
          inputs: { nixpkgs: ['nixpkgs'], 'git-hooks': 'git-hooks' },
        }),
      },
    );

  it('lists a moved node once, naming every path reaching it', () => {
    const rows = diff(tree('a', ['nixpkgs']), tree('f', ['nixpkgs']));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      input: 'nixpkgs',
      direct: true,
      paths: ['nixpkgs', 'git-hooks/nixpkgs', 'ipwatch/nixpkgs', 'ipwatch/git-hooks/nixpkgs'],
      daysGained: 3,
    });
  });

  it('does not list a path whose follows now leads to the same, unchanged node', () => {
    // git-hooks/nixpkgs had its own node at a; it now follows nixpkgs, which is at a too.
    expect(diff(tree('a', 'nixpkgs_2'), tree('a', ['nixpkgs']))).toEqual([]);
  });

  it('says which input a follows path now follows when that moved it', () => {
    const followingDep = (target: string) =>
      lockText(
        { a: 'a', b: 'b', c: 'c' },
        {
          a: github('o', 'a', rev('1'), 0),
          b: github('o', 'b', rev('2'), 1),
          c: github('o', 'c', rev('3'), 0, { inputs: { dep: [target] } }),
        },
      );
    const before = followingDep('a');
    const after = followingDep('b');
    expect(diff(before, after)).toEqual([
      expect.objectContaining({
        input: 'c/dep',
        kind: 'source-changed',
        follows: [{ path: 'c/dep', from: 'a', to: 'b' }],
        from: expect.objectContaining({ rev: rev('1'), follows: 'a' }),
        to: expect.objectContaining({ rev: rev('2'), follows: 'b' }),
      }),
    ]);
  });
});

describe('source switches', () => {
  const one = (node: NodeSpec) => lockText({ systems: 'systems' }, { systems: node });

  it('a switch to another repository links each side on its own repository, no compare view', () => {
    const [row] = diff(
      one(github('nix-systems', 'x86_64-linux', rev('1'), 0)),
      one(github('nix-systems', 'default-linux', rev('2'), 100)),
    );
    expect(row).toMatchObject({
      kind: 'source-changed',
      source: {
        from: 'github:nix-systems/x86_64-linux',
        to: 'github:nix-systems/default-linux',
        kind: 'repository',
      },
      commits: {
        from: `https://github.com/nix-systems/x86_64-linux/commit/${rev('1')}`,
        to: `https://github.com/nix-systems/default-linux/commit/${rev('2')}`,
      },
    });
    expect(row?.url).not.toContain('compare');
  });

  it('a fork is another repository too, named as such', () => {
    const [row] = diff(
      one(github('NixOS', 'nixpkgs', rev('1'), 0)),
      one(github('alice', 'nixpkgs', rev('2'), 1)),
    );
    expect(row).toMatchObject({ kind: 'source-changed', source: { kind: 'fork', sameRepository: false } });
    expect(row?.url).toBe(`https://github.com/alice/nixpkgs/commit/${rev('2')}`);
  });

  it('a change of letter case on GitHub is the same repository: a new revision gets a compare link', () => {
    const [row] = diff(
      one(github('NixOS', 'nixpkgs', rev('1'), 0)),
      one(github('nixos', 'nixpkgs', rev('2'), 1)),
    );
    expect(row).toMatchObject({
      kind: 'updated',
      source: {
        from: 'github:NixOS/nixpkgs',
        to: 'github:nixos/nixpkgs',
        kind: 'spelling',
        sameRepository: true,
      },
      url: `https://github.com/nixos/nixpkgs/compare/${rev('1')}...${rev('2')}`,
    });
  });

  it('the same revision from another source is source-changed, with no compare link', () => {
    const gitNode: NodeSpec = {
      locked: {
        lastModified: JUNE_1,
        narHash: `sha256-${rev('1').slice(0, 8)}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`,
        ref: 'refs/heads/master',
        rev: rev('1'),
        type: 'git',
        url: 'https://github.com/NixOS/nixpkgs',
      },
      original: { type: 'git', url: 'https://github.com/NixOS/nixpkgs' },
    };
    const [row] = diff(one(github('NixOS', 'nixpkgs', rev('1'), 0)), one(gitNode));
    expect(row).toMatchObject({
      kind: 'source-changed',
      daysGained: 0,
      source: { from: 'github:NixOS/nixpkgs', to: 'git+https://github.com/NixOS/nixpkgs', kind: 'fetcher' },
      url: `https://github.com/NixOS/nixpkgs/commit/${rev('1')}`,
    });
  });
});

describe('days gained', () => {
  it('is the difference of the two dates shown, in calendar days', () => {
    const at = (iso: string) => Date.parse(iso) / 1000;
    const node = (revision: string, seconds: number): NodeSpec => ({
      ...github('o', 'r', revision, 0),
      locked: { ...github('o', 'r', revision, 0).locked, lastModified: seconds },
    });
    const [row] = diff(
      lockText({ r: 'r' }, { r: node(rev('1'), at('2026-08-19T01:00:00Z')) }),
      lockText({ r: 'r' }, { r: node(rev('2'), at('2026-08-22T23:00:00Z')) }),
    );
    // 3.9 days elapsed, but the dates read 08-19 and 08-22: +3.
    expect(row?.from?.date?.slice(0, 10)).toBe('2026-08-19');
    expect(row?.to?.date?.slice(0, 10)).toBe('2026-08-22');
    expect(row?.daysGained).toBe(3);
  });
});

/**
 * Every recorded pair of real flake.locks (test/fixtures/locks, copied from ../shared/recorded/locks)
 * through the diff. The expectations are computed here from the two lock files, by a walk written
 * for this test, not from the diff's own output: every input path is resolved on both sides, and a
 * path must be listed (once) exactly when the locked node it resolves to changed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLocks, type InputChange } from '../../src/lock/diff.js';
import { FlakeLock } from '../../src/nix/lock-file.js';

const LOCKS = join(import.meta.dirname, '..', 'fixtures', 'locks');

interface RawNode {
  inputs?: Record<string, string | string[]>;
  locked?: Record<string, unknown>;
  original?: Record<string, unknown>;
}
interface RawLock {
  root: string;
  nodes: Record<string, RawNode>;
}

const PAIRS = readdirSync(LOCKS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((repository) =>
    readdirSync(join(LOCKS, repository.name)).map((pair) => `${repository.name}/${pair}`),
  )
  .sort();

function text(pair: string, side: 'old' | 'new'): string {
  return readFileSync(join(LOCKS, pair, `${side}.flake.lock`), 'utf8');
}

/** The node key a path leads to, each `follows` read from the root; undefined when it leads nowhere. */
function resolveKey(lock: RawLock, path: readonly string[], depth = 0): string | undefined {
  if (depth > 50) return undefined;
  let key = lock.root;
  for (const name of path) {
    const edge = lock.nodes[key]?.inputs?.[name];
    if (edge === undefined) return undefined;
    const next = typeof edge === 'string' ? edge : resolveKey(lock, edge, depth + 1);
    if (next === undefined) return undefined;
    key = next;
  }
  return key === lock.root ? undefined : key;
}

/** Every path reachable through the nodes' own edges, follows edges included but not entered. */
function everyPath(lock: RawLock): string[] {
  const paths: string[] = [];
  const walk = (key: string, prefix: string[], seen: string[]) => {
    for (const [name, edge] of Object.entries(lock.nodes[key]?.inputs ?? {})) {
      paths.push([...prefix, name].join('/'));
      if (typeof edge === 'string' && !seen.includes(edge)) walk(edge, [...prefix, name], [...seen, edge]);
    }
  };
  walk(lock.root, [], []);
  return paths;
}

/** Where a node comes from: its locked attributes without the revision, the dates and the branch. */
function whereFrom(node: RawNode): string {
  const { rev, narHash, lastModified, ref, revCount, ...where } = node.locked ?? {};
  return JSON.stringify(Object.entries(where).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function identity(node: RawNode | undefined): string {
  if (!node) return 'none';
  const locked = node.locked ?? {};
  return JSON.stringify([whereFrom(node), locked.rev, locked.narHash, locked.lastModified]);
}

interface ExpectedRow {
  paths: string[];
  from?: RawNode;
  to?: RawNode;
}

/** The rows a right diff has: paths grouped by what they resolved to before and resolve to now. */
function expectedRows(oldLock: RawLock, newLock: RawLock): ExpectedRow[] {
  const rows = new Map<string, ExpectedRow>();
  for (const path of new Set([...everyPath(oldLock), ...everyPath(newLock)])) {
    const names = path.split('/');
    const oldKey = resolveKey(oldLock, names);
    const newKey = resolveKey(newLock, names);
    const from = oldKey === undefined ? undefined : oldLock.nodes[oldKey];
    const to = newKey === undefined ? undefined : newLock.nodes[newKey];
    if (identity(from) === identity(to)) continue;
    const key = `${identity(from)} ${identity(to)}`;
    const row = rows.get(key) ?? { paths: [], ...(from ? { from } : {}), ...(to ? { to } : {}) };
    row.paths.push(path);
    rows.set(key, row);
  }
  return [...rows.values()];
}

const day = (seconds: unknown) =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().slice(0, 10) : undefined;

function summary(row: { paths: readonly string[]; from?: RawNode; to?: RawNode }) {
  return {
    paths: [...row.paths].sort(),
    from: row.from ? [row.from.locked?.rev, day(row.from.locked?.lastModified)] : null,
    to: row.to ? [row.to.locked?.rev, day(row.to.locked?.lastModified)] : null,
  };
}

function actualSummary(change: InputChange) {
  return {
    paths: [...change.paths].sort(),
    from: change.from ? [change.from.rev, change.from.date?.slice(0, 10)] : null,
    to: change.to ? [change.to.rev, change.to.date?.slice(0, 10)] : null,
  };
}

function diffOf(pair: string) {
  const changes = diffLocks(FlakeLock.parse(text(pair, 'old')), FlakeLock.parse(text(pair, 'new')));
  return [...changes.direct, ...changes.transitive];
}

describe('the diff of every recorded pair of real locks', () => {
  it('has all 34 pairs', () => {
    expect(PAIRS).toHaveLength(34);
  });

  it.each(PAIRS)('%s', (pair) => {
    const oldLock = JSON.parse(text(pair, 'old')) as RawLock;
    const newLock = JSON.parse(text(pair, 'new')) as RawLock;
    const expected = expectedRows(oldLock, newLock);
    const changes = diffOf(pair);
    const byFirst = (a: { paths: string[] }, b: { paths: string[] }) =>
      (a.paths[0] as string) < (b.paths[0] as string) ? -1 : 1;
    expect(changes.map(actualSummary).sort(byFirst)).toEqual(expected.map(summary).sort(byFirst));

    const listed = changes.flatMap((change) => change.paths);
    expect(new Set(listed).size).toBe(listed.length);
    for (const change of changes) {
      expect(change.input).toBe(change.paths[0]);
      expect(change.direct).toBe(change.paths.some((path) => !path.includes('/')));
      const row = expected.find((candidate) => candidate.paths.includes(change.input)) as ExpectedRow;
      const kind = !row.from
        ? 'added'
        : !row.to
          ? 'removed'
          : whereFrom(row.from) !== whereFrom(row.to) && row.from.locked?.rev === row.to.locked?.rev
            ? 'source-changed'
            : whereFrom(row.from) === whereFrom(row.to)
              ? 'updated'
              : change.kind;
      expect(change.kind).toBe(kind);
      if (change.from?.date && change.to?.date) {
        const shown = (date: string) => Date.parse(date.slice(0, 10));
        expect(change.daysGained).toBe((shown(change.to.date) - shown(change.from.date)) / 86_400_000);
      }
      if (change.kind === 'source-changed') expect(change.url ?? '').not.toContain('/compare/');
    }
  });
});

describe('the pairs the recordings name as misleading', () => {
  it('jmbaur 521: paths whose follows moved to an unchanged node are not listed as new', () => {
    const changes = diffOf('jmbaur-homelab/0521-f04f69bb-ea5f8c4a');
    const listed = changes.flatMap((change) => change.paths);
    for (const owner of ['ipwatch', 'neovim-nightly-overlay', 'nixos-router', 'webauthn-tiny']) {
      expect(listed).not.toContain(`${owner}/git-hooks/gitignore/nixpkgs`);
      expect(listed).not.toContain(`${owner}/git-hooks/nixpkgs`);
    }
    expect(changes.filter((change) => change.kind === 'added')).toEqual([]);
    expect(changes.find((change) => change.input === 'ipwatch/git-hooks')?.paths).toEqual([
      'ipwatch/git-hooks',
      'nixos-router/git-hooks',
      'webauthn-tiny/git-hooks',
    ]);
  });

  it('jmbaur 522: the node reached by five paths is one row naming them', () => {
    const changes = diffOf('jmbaur-homelab/0522-ab461d14-f04f69bb');
    const compat = changes.filter((change) => change.paths.some((path) => path.endsWith('/flake-compat')));
    expect(compat).toHaveLength(1);
    expect(compat[0]).toMatchObject({
      input: 'git-hooks/flake-compat',
      kind: 'updated',
      paths: [
        'git-hooks/flake-compat',
        'ipwatch/git-hooks/flake-compat',
        'neovim-nightly-overlay/git-hooks/flake-compat',
        'nixos-router/git-hooks/flake-compat',
        'webauthn-tiny/git-hooks/flake-compat',
      ],
      from: { rev: '0f9255e01c2351cc7d116c072cb317785dd33b33' },
      to: { rev: 'ff81ac966bb2cae68946d5ed5fc4994f96d0ffec' },
    });
    const lib = changes.find((change) => change.input === 'neovim-nightly-overlay/flake-parts/nixpkgs-lib');
    expect(lib?.paths).toEqual([
      'neovim-nightly-overlay/flake-parts/nixpkgs-lib',
      'neovim-nightly-overlay/hercules-ci-effects/flake-parts/nixpkgs-lib',
    ]);
    expect(lib?.follows).toEqual([
      { path: 'neovim-nightly-overlay/flake-parts/nixpkgs-lib', from: 'neovim-nightly-overlay/nixpkgs' },
      {
        path: 'neovim-nightly-overlay/hercules-ci-effects/flake-parts/nixpkgs-lib',
        from: 'neovim-nightly-overlay/hercules-ci-effects/nixpkgs',
      },
    ]);
  });

  it('abl030 1406: a switch to another repository links each side, never a compare across them', () => {
    const systems = diffOf('abl030-nixosconfig/1406-171182e7-0f586eab').find(
      (change) => change.input === 'isd/systems',
    );
    expect(systems).toMatchObject({
      kind: 'source-changed',
      source: {
        from: 'github:nix-systems/x86_64-linux',
        to: 'github:nix-systems/default-linux',
        kind: 'repository',
        sameRepository: false,
      },
      commits: {
        from: 'https://github.com/nix-systems/x86_64-linux/commit/2ecfcac5e15790ba6ce360ceccddb15ad16d08a8',
        to: 'https://github.com/nix-systems/default-linux/commit/31732fcf5e8fea42e59c2488ad31a0e651500f68',
      },
      url: 'https://github.com/nix-systems/default-linux/commit/31732fcf5e8fea42e59c2488ad31a0e651500f68',
    });
  });

  it('abl030 810: the same revision from another fetcher is a source change without a compare link', () => {
    const changes = diffOf('abl030-nixosconfig/0810-ddd93495-ac56f646');
    const rev = 'f3d1132db90b4da4be406c177cf2741f29a6c414';
    expect(changes).toEqual([
      expect.objectContaining({
        input: 'vinsight-mcp',
        kind: 'source-changed',
        daysGained: 0,
        from: expect.objectContaining({ rev, source: 'github:abl030/vinsight-mcp' }),
        to: expect.objectContaining({
          rev,
          ref: 'master',
          source: 'git+ssh://git@github.com/abl030/vinsight-mcp',
        }),
        source: expect.objectContaining({ kind: 'fetcher', sameRepository: true }),
        url: `https://github.com/abl030/vinsight-mcp/commit/${rev}`,
      }),
    ]);
  });
});

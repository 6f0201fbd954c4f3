import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, REPO, runCli } from './support.js';

const LOCKS = join(REPO, 'test', 'fixtures', 'locks');
/** github:abl030/vinsight-mcp → git+ssh on the same repository, same revision. */
const FETCHER_SWITCH = join(LOCKS, 'abl030-nixosconfig', '0810-ddd93495-ac56f646');
/** isd/systems: nix-systems/x86_64-linux → nix-systems/default-linux. */
const REPOSITORY_SWITCH = join(LOCKS, 'abl030-nixosconfig', '1406-171182e7-0f586eab');

let repo: string;

function git(...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], {
    cwd: repo,
    stdio: 'pipe',
  });
}

/** A repository whose flake lives in infra/: HEAD~1 and HEAD hold the 1406 pair, the work tree the 810 one. */
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'flakeflow-lock-diff-'));
  git('init', '-q', '-b', 'main');
  execFileSync('mkdir', ['-p', join(repo, 'infra')]);
  writeFileSync(join(repo, 'README'), 'no lock here\n');
  git('add', 'README');
  git('commit', '-q', '-m', 'without a lock');
  git('tag', 'no-lock');
  copyFileSync(join(REPOSITORY_SWITCH, 'old.flake.lock'), join(repo, 'infra', 'flake.lock'));
  git('add', '.');
  git('commit', '-q', '-m', 'old');
  copyFileSync(join(REPOSITORY_SWITCH, 'new.flake.lock'), join(repo, 'infra', 'flake.lock'));
  git('commit', '-q', '-am', 'new');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const infra = () => join(repo, 'infra');

describe('flakeflow lock-diff', () => {
  it('compares two revisions of the flake.lock here as JSON', async () => {
    const run = await runCli(['lock-diff', 'HEAD~1', 'HEAD', '--json'], { cwd: infra() });
    expect(run.exitCode, run.stderr).toBe(0);
    const { inputs } = JSON.parse(run.stdout) as { inputs: Record<string, unknown>[] };
    const systems = inputs.find((input) => input.path === 'isd/systems');
    expect(systems).toMatchObject({
      direct: false,
      change: 'source-changed',
      from: { rev: '2ecfcac5e15790ba6ce360ceccddb15ad16d08a8', source: 'github:nix-systems/x86_64-linux' },
      to: { rev: '31732fcf5e8fea42e59c2488ad31a0e651500f68', source: 'github:nix-systems/default-linux' },
      url: 'https://github.com/nix-systems/default-linux/commit/31732fcf5e8fea42e59c2488ad31a0e651500f68',
    });
    const nixpkgs = inputs.find((input) => input.path === 'nixpkgs');
    expect(nixpkgs).toMatchObject({ direct: true, change: 'updated' });
    expect(nixpkgs?.paths).toEqual(
      expect.arrayContaining(['nixpkgs', 'home-manager/nixpkgs', 'sops-nix/nixpkgs']),
    );
    for (const input of inputs) {
      expect(Object.keys(input)).toEqual(
        expect.arrayContaining(['path', 'direct', 'change', 'from', 'to', 'url']),
      );
    }
  });

  it('defaults to HEAD against the work tree, and prints terminal text', async () => {
    copyFileSync(join(FETCHER_SWITCH, 'old.flake.lock'), join(infra(), 'old.lock'));
    copyFileSync(join(FETCHER_SWITCH, 'new.flake.lock'), join(infra(), 'flake.lock'));
    try {
      const run = await runCli(['lock-diff', 'old.lock'], { cwd: infra(), env: { NO_COLOR: '1' } });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toContain('1 of the flake');
      expect(run.stdout).toMatch(
        /vinsight-mcp \(master\) +f3d1132 · 2026-02-24 +f3d1132 · 2026-02-24 +\+0 +source-changed/,
      );
      expect(run.stdout).toContain(
        'source changed from github:abl030/vinsight-mcp to git+ssh://git@github.com/abl030/vinsight-mcp (the same repository, fetched another way)',
      );
      expect(run.stdout).not.toContain('compare');

      const fromHead = await runCli(['lock-diff', '--json'], { cwd: infra() });
      expect(fromHead.exitCode, fromHead.stderr).toBe(0);
      const { inputs } = JSON.parse(fromHead.stdout) as { inputs: { path: string }[] };
      // HEAD holds the 1406 lock, the work tree the 810 one: many inputs differ.
      expect(inputs.length).toBeGreaterThan(3);
    } finally {
      git('checkout', '--', 'infra/flake.lock');
      rmSync(join(infra(), 'old.lock'));
    }
  });

  it('prints the markdown of the pull request body', async () => {
    const run = await runCli(
      [
        'lock-diff',
        join(REPOSITORY_SWITCH, 'old.flake.lock'),
        join(REPOSITORY_SWITCH, 'new.flake.lock'),
        '--markdown',
      ],
      { cwd: repo },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('| Input | From | To | Days gained | Changes |');
    expect(run.stdout).toContain(
      'source changed from `github:nix-systems/x86_64-linux` to `github:nix-systems/default-linux`',
    );
    expect(run.stdout).toContain(
      '[before](https://github.com/nix-systems/x86_64-linux/commit/2ecfcac5e15790ba6ce360ceccddb15ad16d08a8) · [after](https://github.com/nix-systems/default-linux/commit/31732fcf5e8fea42e59c2488ad31a0e651500f68)',
    );
    expect(run.stdout).not.toContain('nix-systems/default-linux/compare/');
  });

  it.each([
    [['broken.lock'], /^error: broken\.lock is not valid JSON \(/],
    [
      ['missing.lock', 'HEAD'],
      /^error: 'missing\.lock' is neither a file nor a git revision of this repository$/,
    ],
    [['no-lock'], /^error: infra\/flake\.lock at no-lock cannot be read \(the commit has no such file\)$/],
    [['shape.lock'], /^error: shape\.lock is not a flake lock file: /],
  ])('refuses %j with one line naming the file', async (args, message) => {
    writeFileSync(join(infra(), 'broken.lock'), '{"nodes": {');
    writeFileSync(join(infra(), 'shape.lock'), '{"version": 7, "root": "root"}');
    try {
      const run = await runCli(['lock-diff', ...args], { cwd: infra() });
      expect(run.exitCode).toBe(1);
      expect(errorLines(run)).toHaveLength(1);
      expect(errorLines(run)[0]).toMatch(message);
      expect(run.stderr).not.toContain('    at ');
    } finally {
      rmSync(join(infra(), 'broken.lock'));
      rmSync(join(infra(), 'shape.lock'));
    }
  });

  it('is listed in the help, and explains itself', async () => {
    const help = await runCli(['--help'], { cwd: repo });
    expect(help.stdout).toMatch(/^ {2}lock-diff \[OLD\] \[NEW\] +what changed between two flake\.locks/m);
    const own = await runCli(['lock-diff', '--help'], { cwd: repo });
    expect(own.exitCode).toBe(0);
    expect(own.stdout).toContain('Usage: flakeflow lock-diff [OLD] [NEW] [--markdown | --json]');
  });
});

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, gate, git, repository, tempDir, writeTree } from './support.js';

afterAll(cleanUp);

const UNUSED = (name: string) => `let\n  ${name} = 1;\nin { }\n`;

interface PullRequestRepo {
  origin: string;
  /** Where the branch left main. */
  forkPoint: string;
  /** main after the branch left it: the pull request's base. */
  base: string;
  head: string;
  /** GitHub's refs/pull/1/merge. */
  merge: string;
}

/**
 * main: hosts/{media,old,renamed}.nix, modules/common.nix, infra-notes.md. The branch changes
 * media.nix, adds new.nix, deletes old.nix, renames renamed.nix and edits the notes; meanwhile main
 * changes modules/common.nix, which the pull request must not be blamed for.
 */
async function pullRequestRepo(): Promise<PullRequestRepo> {
  const origin = await repository(
    {
      'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
      'hosts/media.nix': '{ }\n',
      'hosts/old.nix': UNUSED('old'),
      'hosts/renamed.nix': '{\n  a = 1;\n  b = 2;\n  c = 3;\n  d = 4;\n}\n',
      'modules/common.nix': '{ }\n',
      'infra-notes.md': 'notes\n',
    },
    'origin',
  );
  const forkPoint = await git(origin, 'rev-parse', 'HEAD');
  await git(origin, 'checkout', '--quiet', '-b', 'pr');
  await writeTree(origin, {
    'hosts/media.nix': UNUSED('fromPr'),
    'hosts/new.nix': UNUSED('added'),
    'infra-notes.md': 'more notes\n',
  });
  await rm(join(origin, 'hosts/old.nix'));
  await git(origin, 'mv', 'hosts/renamed.nix', 'hosts/moved.nix');
  await writeFile(
    join(origin, 'hosts/moved.nix'),
    '{\n  a = 1;\n  b = 2;\n  c = 3;\n  d = 4;\n  e = e;\n}\n',
  );
  await git(origin, 'add', '--all');
  await git(origin, 'commit', '--quiet', '--message', 'pull request');
  const head = await git(origin, 'rev-parse', 'HEAD');
  await git(origin, 'checkout', '--quiet', 'main');
  await writeTree(origin, { 'modules/common.nix': UNUSED('onMain') });
  await git(origin, 'commit', '--quiet', '--all', '--message', 'main moves on');
  const base = await git(origin, 'rev-parse', 'HEAD');
  await git(origin, 'merge', '--quiet', '--no-ff', '--message', 'Merge pull request #1', 'pr');
  const merge = await git(origin, 'rev-parse', 'HEAD');
  await git(origin, 'update-ref', 'refs/pull/1/merge', merge);
  await git(origin, 'reset', '--quiet', '--hard', base);
  return { origin, forkPoint, base, head, merge };
}

function pullRequestEvent(repo: PullRequestRepo) {
  return {
    eventName: 'pull_request',
    event: {
      number: 1,
      pull_request: { number: 1, base: { sha: repo.base, ref: 'main' }, head: { sha: repo.head } },
    },
  };
}

async function calls(log: string, tool: string): Promise<string[][]> {
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  return lines
    .map((line) => JSON.parse(line))
    .filter((call) => call.tool === tool)
    .map((call) => call.args);
}

let repo: PullRequestRepo;
beforeAll(async () => {
  repo = await pullRequestRepo();
});

describe('files: changed on a pull request', () => {
  it('checks only the .nix files the branch changed, renamed ones by their new name, deleted ones not at all', async () => {
    const workspace = await tempDir('clone');
    await git(workspace, 'clone', '--quiet', repo.origin, '.');
    await git(workspace, 'checkout', '--quiet', '--detach', repo.head);
    const log = join(await tempDir('log'), 'calls.jsonl');
    const { result } = await gate(
      workspace,
      { tools: 'path', formatter: 'alejandra' },
      { env: { FAKE_GATE_LOG: log }, context: pullRequestEvent(repo) },
    );
    expect(result.scope).toMatchObject({
      mode: 'changed',
      files: ['hosts/media.nix', 'hosts/moved.nix', 'hosts/new.nix'],
    });
    expect(result.scope.base?.commit).toBe(repo.forkPoint);
    expect(result.findings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([
      'hosts/media.nix:2 Unused let binding: fromPr',
      'hosts/moved.nix:6 This assignment is better written with `inherit`',
      'hosts/new.nix:2 Unused let binding: added',
    ]);
    expect(await calls(log, 'deadnix')).toEqual([
      ['--output-format', 'json', '--', 'hosts/media.nix', 'hosts/moved.nix', 'hosts/new.nix'],
    ]);
    // statix takes one target: one run per changed file.
    expect((await calls(log, 'statix')).map((args) => args.at(-1)).sort()).toEqual([
      'hosts/media.nix',
      'hosts/moved.nix',
      'hosts/new.nix',
    ]);
    // One run formats copies of the changed files, nothing else (format-diff.ts).
    expect(await calls(log, 'alejandra')).toEqual([
      ['--', 'hosts/media.nix', 'hosts/moved.nix', 'hosts/new.nix'],
    ]);
  });

  it('fetches the base into a shallow checkout of GitHub merge commit, as actions/checkout leaves it', async () => {
    const workspace = await tempDir('shallow');
    await git(workspace, 'init', '--quiet');
    await git(workspace, 'remote', 'add', 'origin', `file://${repo.origin}`);
    await git(
      workspace,
      'fetch',
      '--quiet',
      '--depth=1',
      'origin',
      `+${repo.merge}:refs/remotes/pull/1/merge`,
    );
    await git(workspace, 'checkout', '--quiet', '--detach', repo.merge);
    await expect(git(workspace, 'cat-file', '-e', `${repo.base}^{commit}`)).rejects.toThrow();
    const { result, logger } = await gate(
      workspace,
      { tools: 'path', checks: 'deadnix' },
      { context: pullRequestEvent(repo) },
    );
    expect(result.scope.files).toEqual(['hosts/media.nix', 'hosts/moved.nix', 'hosts/new.nix']);
    expect(result.scope.base?.commit).toBe(repo.base);
    expect(result.findings.map((f) => f.file)).toEqual(['hosts/media.nix', 'hosts/new.nix']);
    expect(logger.lines.filter((line) => line.level === 'warning')).toEqual([]);
  });

  it('diffs against base-ref when given, on any event', async () => {
    const workspace = await tempDir('base-ref');
    await git(workspace, 'clone', '--quiet', repo.origin, '.');
    await git(workspace, 'checkout', '--quiet', '--detach', repo.head);
    const { result } = await gate(workspace, {
      tools: 'path',
      files: 'changed',
      'base-ref': 'origin/main',
      checks: 'deadnix',
    });
    expect(result.scope.files).toEqual(['hosts/media.nix', 'hosts/moved.nix', 'hosts/new.nix']);
    expect(result.scope.base).toEqual({ commit: repo.forkPoint, from: 'base-ref origin/main' });
  });

  it('checks everything on a push with files: auto', async () => {
    const workspace = await tempDir('push');
    await git(workspace, 'clone', '--quiet', repo.origin, '.');
    const { result } = await gate(workspace, { tools: 'path', checks: 'deadnix' });
    expect(result.scope.mode).toBe('all');
    expect(result.findings.map((f) => f.file)).toEqual(['hosts/old.nix', 'modules/common.nix']);
  });

  it('passes in one line when no .nix file changed', async () => {
    const workspace = await repository({ 'a.nix': UNUSED('x'), 'README.md': 'a\n' });
    const before = await git(workspace, 'rev-parse', 'HEAD');
    await writeFile(join(workspace, 'README.md'), 'b\n');
    await git(workspace, 'commit', '--quiet', '--all', '--message', 'docs');
    const { result } = await gate(workspace, { tools: 'path', files: 'changed', 'base-ref': before });
    expect(result.passed).toBe(true);
    expect(result.scope.files).toEqual([]);
    expect(result.checks.map((check) => check.skipped)).toEqual([
      'no .nix files to check',
      'no .nix files to check',
      'no .nix files to check',
    ]);
  });

  it('names base-ref when it cannot be found, and asks for a base when there is none', async () => {
    const workspace = await repository({ 'a.nix': '{ }\n' });
    await expect(gate(workspace, { files: 'changed', 'base-ref': 'origin/nope' })).rejects.toThrow(
      "Input 'base-ref' names origin/nope, which is not in the checkout and could not be fetched from origin: check out with fetch-depth: 0",
    );
    await expect(gate(workspace, { files: 'changed' })).rejects.toThrow(
      "Input 'files' is changed, but there is nothing to compare with: set base-ref (e.g. origin/main) or run on pull_request",
    );
  });

  it('ignores changes outside a subdirectory flake and reports the rest from the repository root', async () => {
    const workspace = await repository({ 'infra/a.nix': '{ }\n', 'other/b.nix': '{ }\n' });
    const before = await git(workspace, 'rev-parse', 'HEAD');
    await writeTree(workspace, { 'infra/a.nix': UNUSED('inInfra'), 'other/b.nix': UNUSED('outside') });
    await git(workspace, 'commit', '--quiet', '--all', '--message', 'change both');
    const { result } = await gate(workspace, {
      tools: 'path',
      path: 'infra',
      files: 'changed',
      'base-ref': before,
      checks: 'deadnix',
    });
    expect(result.scope.files).toEqual(['a.nix']);
    expect(result.findings.map((f) => `${f.file}:${f.line}`)).toEqual(['infra/a.nix:2']);
  });
});

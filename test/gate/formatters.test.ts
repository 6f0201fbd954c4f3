import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  cleanUp,
  copyFakes,
  currentSystem,
  fakeBin,
  fakePackage,
  gate,
  git,
  repository,
  tempDir,
  treeState,
  writeTree,
} from './support.js';

afterAll(cleanUp);

const TREEFMT_TOML =
  '[formatter.nix]\ncommand = "alejandra"\nincludes = ["*.nix"]\n\n[formatter.markdown]\ncommand = "mdformat"\nincludes = ["*.md"]\n';
const TREE = {
  'treefmt.toml': TREEFMT_TOML,
  'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
  'hosts/gateway.nix': '{\n  networking.hostName = "gateway";   \n  networking.nat.enable = true;\n}\n\n\n',
  'hosts/media.nix': '{ }\n',
  'README.md': '# homelab  \n',
};

describe('treefmt, which can only rewrite', () => {
  it('reports what it would change, pointing at the lines, and leaves the tree exactly as it was', async () => {
    const dir = await repository(TREE);
    const before = await treeState(dir);
    const { result } = await gate(dir, { tools: 'path', formatter: 'treefmt', checks: 'format' });
    expect(await treeState(dir)).toEqual(before);
    expect(result.unformatted).toEqual(['README.md', 'hosts/gateway.nix']);
    expect(result.findings.map((f) => [f.file, f.line, f.endLine, f.severity, f.tool])).toEqual([
      ['README.md', 1, 1, 'error', 'treefmt'],
      ['hosts/gateway.nix', 2, 6, 'error', 'treefmt'],
    ]);
    expect(result.findings[1]?.message).toBe(
      'Not formatted: treefmt would change lines 2–6. Run `nix fmt` (or treefmt) and commit the result.',
    );
  });

  it('reads the 2.0.x log as well', async () => {
    const dir = await repository(TREE);
    const { result } = await gate(
      dir,
      { tools: 'path', formatter: 'treefmt', checks: 'format' },
      { env: { FAKE_TREEFMT_VARIANT: '2.0' } },
    );
    expect(result.unformatted).toEqual(['README.md', 'hosts/gateway.nix']);
    expect(result.failures).toEqual([]);
  });

  it('fails on a formatter failure and still restores the tree', async () => {
    const dir = await repository({ ...TREE, 'bad.nix': '{\n' });
    const before = await treeState(dir);
    const { result } = await gate(dir, { tools: 'path', formatter: 'treefmt', checks: 'format' });
    expect(await treeState(dir)).toEqual(before);
    expect(result.failures.map((f) => f.reason)).toEqual([
      "treefmt: a formatter failed: formatter | nix: failed to apply with options '[]': exit status 1",
    ]);
    expect(result.passed).toBe(false);
  });

  it('formats only the changed files in changed mode', async () => {
    const dir = await repository(TREE);
    const base = await git(dir, 'rev-parse', 'HEAD');
    await writeTree(dir, { 'hosts/media.nix': '{ }  \n' });
    await git(dir, 'commit', '--quiet', '--all', '--message', 'change');
    const before = await treeState(dir);
    const log = join(await tempDir('log'), 'calls.jsonl');
    const { result } = await gate(
      dir,
      { tools: 'path', formatter: 'treefmt', checks: 'format', files: 'changed', 'base-ref': base },
      { env: { FAKE_GATE_LOG: log } },
    );
    expect(await treeState(dir)).toEqual(before);
    expect(result.unformatted).toEqual(['hosts/media.nix']);
    expect(JSON.parse(await readFile(log, 'utf8')).args).toEqual(['--ci', 'hosts/media.nix']);
  });
});

describe('nixfmt', () => {
  it('reports unformatted files at the lines nixfmt would change, and parse errors where they are', async () => {
    const dir = await repository({
      'a.nix': '{\n  a = 1;   \n}\n',
      'bad.nix': '{ a = 1;\n',
      'ok.nix': '{ }\n',
    });
    const before = await treeState(dir);
    const { result } = await gate(dir, { tools: 'path', formatter: 'nixfmt', checks: 'format' });
    expect(await treeState(dir)).toEqual(before);
    expect(result.findings.map((f) => [f.file, f.line, f.column, f.rule, f.message])).toEqual([
      [
        'a.nix',
        2,
        undefined,
        'unformatted',
        'Not formatted: nixfmt would change line 2. Run `nix fmt` (or nixfmt) and commit the result.',
      ],
      [
        // nixfmt says 2:1, past the final newline: the end of the last line, where a person sees it.
        'bad.nix',
        1,
        9,
        'syntax',
        'nixfmt cannot parse this file: unexpected end of input; expecting expression',
      ],
    ]);
    expect(result.unformatted).toEqual(['a.nix']);
  });
});

describeEachVersion(NIX_VERSIONS, 'the formatter choice', () => {
  it('auto takes alejandra from PATH when the flake has no formatter', async () => {
    const dir = await repository({
      'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
      'a.nix': '{ }  \n',
    });
    const { result } = await gate(dir, { tools: 'path', checks: 'format' });
    expect(result.checks.map((check) => check.tool)).toEqual(['alejandra']);
  });

  it('auto takes treefmt when the tree has a treefmt.toml and treefmt is installed', async () => {
    const dir = await repository(TREE);
    const { result } = await gate(dir, { tools: 'path', checks: 'format' });
    expect(result.checks.map((check) => check.tool)).toEqual(['treefmt']);
  });

  it('formatter none skips the format check', async () => {
    const dir = await repository({ 'a.nix': '{ }  \n' });
    const { result } = await gate(dir, { tools: 'path', formatter: 'none' });
    expect(result.checks[0]).toMatchObject({ check: 'format', skipped: 'formatter: none' });
    expect(result.findings).toEqual([]);
  });
});

describeEachVersion(NIX_VERSIONS, 'nix fmt: the flake formatter', () => {
  async function flakeWithFormatter(tool: string, name: string, extra: Record<string, string> = {}) {
    await requireNix();
    const dir = await tempDir('fmt-flake');
    await copyFakes(dir);
    await writeTree(dir, {
      'flake.nix': `{\n  outputs = { self }: {\n    formatter.${currentSystem()} = ${fakePackage(tool, name)};\n  };\n}\n`,
      ...extra,
    });
    await git(dir, 'init', '--quiet');
    await git(dir, 'add', '--all');
    await git(dir, 'commit', '--quiet', '--message', 'flake');
    return dir;
  }

  it('auto runs a treefmt formatter with --ci on a snapshot and restores the tree', async () => {
    const dir = await flakeWithFormatter('treefmt', 'treefmt', {
      'treefmt.toml': TREEFMT_TOML,
      'hosts/gateway.nix': '{ }   \n',
    });
    const before = await treeState(dir);
    const log = join(await tempDir('log'), 'calls.jsonl');
    const { result } = await gate(
      dir,
      { tools: 'path', checks: 'format' },
      { env: { FAKE_GATE_LOG: log, PATH: process.env.PATH ?? '' } },
    );
    expect(await treeState(dir)).toEqual(before);
    expect(result.checks.map((check) => check.tool)).toEqual(['nix fmt (treefmt)']);
    expect(result.unformatted).toEqual(['hosts/gateway.nix']);
    expect(JSON.parse(await readFile(log, 'utf8')).args).toEqual(['--ci', '.']);
  });

  it('runs an alejandra formatter with --check and the files', async () => {
    const dir = await flakeWithFormatter('alejandra', 'alejandra-4.0.0', {
      'hosts/a.nix': '{ }   \n',
      'b.nix': '{\n',
    });
    const before = await treeState(dir);
    const { result } = await gate(
      dir,
      { tools: 'path', formatter: 'nix-fmt', checks: 'format' },
      { env: { PATH: process.env.PATH ?? '' } },
    );
    expect(await treeState(dir)).toEqual(before);
    expect(result.findings.map((f) => [f.file, f.rule, f.tool])).toEqual([
      ['b.nix', 'syntax', 'nix fmt (alejandra)'],
      ['hosts/a.nix', 'unformatted', 'nix fmt (alejandra)'],
    ]);
    expect(result.failures).toEqual([]);
  });

  it('fails formatter: nix-fmt on a flake without a formatter', async () => {
    await requireNix();
    const dir = await repository({ 'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n' });
    const { result } = await gate(dir, { tools: 'path', formatter: 'nix-fmt', checks: 'format' });
    expect(result.failures.map((f) => f.reason)).toEqual([
      'nix fmt: the flake has no formatter output for this system (formatter: nix-fmt)',
    ]);
  });
});

describe('outside git', () => {
  it('restores every file treefmt rewrote, not only .nix files', async () => {
    const dir = await tempDir('plain');
    await writeTree(dir, TREE);
    const before = await treeState(dir);
    const { result } = await gate(dir, { tools: 'path', formatter: 'treefmt', checks: 'format' });
    expect(await treeState(dir)).toEqual(before);
    expect(result.unformatted).toEqual(['README.md', 'hosts/gateway.nix']);
  });

  it('lets auto fall back to the formatters on PATH when Nix is not installed', async () => {
    const dir = await repository({
      'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
      'a.nix': '{ }  \n',
    });
    const bin = await fakeBin(['alejandra']);
    const { symlink } = await import('node:fs/promises');
    // PATH with node and git but no nix.
    for (const program of ['node', 'git']) {
      const { execFileSync } = await import('node:child_process');
      await symlink(execFileSync('which', [program], { encoding: 'utf8' }).trim(), join(bin, program));
    }
    const { result } = await gate(dir, { tools: 'path', checks: 'format' }, { env: { PATH: bin } });
    expect(result.failures).toEqual([]);
    expect(result.checks.map((check) => check.tool)).toEqual(['alejandra']);
    expect(result.unformatted).toEqual(['a.nix']);
  });
});

describe('one formatter run per file', () => {
  it.each(['alejandra', 'nixfmt'])(
    '%s formats copies of the files, each once, and points every unformatted file at its lines',
    async (formatter) => {
      const files: Record<string, string> = { 'bad.nix': '{ a = 1;\n' };
      for (let index = 0; index < 150; index += 1) {
        const trailing = index % 3 === 0 ? '   ' : '';
        files[`hosts/host${String(index).padStart(3, '0')}.nix`] = `{\n  a = ${index};${trailing}\n}\n`;
      }
      const dir = await repository(files);
      const before = await treeState(dir);
      const log = join(await tempDir('log'), 'calls.jsonl');
      const { result } = await gate(
        dir,
        { tools: 'path', formatter, checks: 'format' },
        { env: { FAKE_GATE_LOG: log } },
      );
      expect(await treeState(dir)).toEqual(before);
      const unformatted = Object.keys(files)
        .filter((path) => files[path]?.includes('   \n'))
        .sort();
      expect(unformatted).toHaveLength(50);
      expect(result.unformatted).toEqual(unformatted);
      // Every one, not the first 25: the lines come from the same run.
      const lines = result.findings
        .filter((f) => f.rule === 'unformatted')
        .map((f) => [f.file, f.line, f.endLine]);
      expect(lines).toEqual(unformatted.map((path) => [path, 2, 2]));
      expect(result.findings.filter((f) => f.rule === 'syntax').map((f) => f.file)).toEqual(['bad.nix']);
      const runs = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { tool: string; args: string[] })
        .filter((run) => run.tool === formatter);
      const given = runs.flatMap((run) => run.args.filter((arg) => arg.endsWith('.nix')));
      expect(given.sort()).toEqual(Object.keys(files).sort());
      expect(runs.every((run) => !run.args.includes('--check'))).toBe(true);
      expect(runs.length).toBeLessThanOrEqual(Math.max(1, availableParallelism()));
    },
  );
});

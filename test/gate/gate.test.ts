import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/gate/findings.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { cleanUp, fakeBin, gate, pathWith, repository, tempDir } from './support.js';

afterAll(cleanUp);

/** A small fleet with one finding of each kind, at positions a reader can check by eye. */
const FLEET = {
  'flake.nix': '{\n  description = "homelab";\n  outputs = { self }: { inherit self; };\n}\n',
  'hosts/media.nix':
    '{ config, lib, ... }:\n{\n  networking.hostName = "media";\n  services.jellyfin.enable = config.media.enable == true;\n}\n',
  'modules/common.nix':
    'let\n  port = 8080;\n  unused = "x";\nin {\n  inherit port;\n  openFirewall = openFirewall;\n}\n',
  'hosts/gateway.nix': '{ ... }:\n{\n  networking.hostName = "gateway";   \n}\n',
};

function rows(findings: readonly Finding[]) {
  return findings.map((f) => [f.file, f.line, f.column, f.endColumn, f.severity, f.check, f.rule]);
}

describeEachVersion(NIX_VERSIONS, 'the gate over a fleet, with every tool on PATH', () => {
  it('finds each problem at its exact span, sorted by file and line, and fails at fail-on warning', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(dir, { tools: 'path' });
    expect(rows(result.findings)).toEqual([
      ['hosts/gateway.nix', 3, undefined, undefined, 'error', 'format', 'unformatted'],
      ['hosts/media.nix', 1, 11, 14, 'warning', 'deadnix', 'unused lambda pattern'],
      ['hosts/media.nix', 4, 30, 57, 'warning', 'statix', 'W01 bool_comparison'],
      ['modules/common.nix', 3, 3, 9, 'warning', 'deadnix', 'unused let binding'],
      ['modules/common.nix', 6, 3, 31, 'warning', 'statix', 'W03 manual_inherit'],
    ]);
    expect(result.findings[1]?.message).toBe('Unused lambda pattern: lib');
    expect(result.findings[0]?.message).toMatch(/^Not formatted: alejandra would change line 3\./);
    expect(result.findings[4]?.fix).toEqual({
      line: 6,
      column: 3,
      endLine: 6,
      endColumn: 31,
      replacement: 'inherit openFirewall;',
    });
    expect(result.unformatted).toEqual(['hosts/gateway.nix']);
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([]);
    expect(result.failure).toBe('flakeflow gate failed: 1 error, 4 warnings in 3 files (fail-on: warning)');
    expect(result.checks.map((c) => [c.check, c.tool, c.counts])).toEqual([
      ['format', 'alejandra', { error: 1, warning: 0, notice: 0 }],
      ['deadnix', 'deadnix', { error: 0, warning: 2, notice: 0 }],
      ['statix', 'statix', { error: 0, warning: 2, notice: 0 }],
    ]);
  });

  it('writes a JSON report of every finding under RUNNER_TEMP', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(dir, { tools: 'path' });
    const { readFile } = await import('node:fs/promises');
    const report = JSON.parse(await readFile(result.reportPath, 'utf8'));
    expect(result.reportPath).toMatch(/flakeflow-gate-runner-temp-.*\/flakeflow-gate-.*\/gate-report\.json$/);
    expect(report.passed).toBe(false);
    expect(report.findings).toHaveLength(5);
    expect(report.findings[2]).toEqual({
      tool: 'statix',
      check: 'statix',
      file: 'hosts/media.nix',
      line: 4,
      column: 30,
      endLine: 4,
      endColumn: 57,
      severity: 'warning',
      rule: 'W01 bool_comparison',
      message: 'Comparing `config.media.enable` with boolean literal `true`',
      fix: { line: 4, column: 30, endLine: 4, endColumn: 57, replacement: 'config.media.enable' },
    });
    expect(report.unformatted).toEqual(['hosts/gateway.nix']);
  });

  it('runs the tools concurrently, each folded in its own log group', async () => {
    const dir = await repository(FLEET);
    const { logger } = await gate(dir, { tools: 'path' });
    const groups = logger.lines.filter((line) => line.level === 'group-start').map((line) => line.message);
    expect(groups).toEqual([
      expect.stringMatching(/^format · alejandra: 1 error \(\d+\.\ds\)$/),
      expect.stringMatching(/^deadnix · deadnix: 2 warnings \(/),
      expect.stringMatching(/^statix · statix: 2 warnings \(/),
    ]);
    const text = logger.text();
    expect(text).toContain('Requires formatting: hosts/gateway.nix');
    expect(text).toMatch(
      /\$ \S+\/deadnix --output-format json -- flake\.nix hosts\/gateway\.nix hosts\/media\.nix modules\/common\.nix/,
    );
  });

  it('counts columns in characters, not bytes, on lines with non-ASCII text', async () => {
    const dir = await repository({ 'a.nix': 'let\n  /* Zürich ☃ */ unused = 1;\nin { }\n' });
    const { result } = await gate(dir, { tools: 'path', checks: 'deadnix' });
    // The fake deadnix reports bytes 21..27: "ü" and "☃" take 2 and 3 bytes, GitHub counts characters.
    expect(rows(result.findings)).toEqual([['a.nix', 2, 18, 24, 'warning', 'deadnix', 'unused let binding']]);
  });

  it('leaves out excluded files in every tool', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(dir, { tools: 'path', exclude: 'modules/**\ngateway.nix' });
    expect(new Set(result.findings.map((f) => f.file))).toEqual(new Set(['hosts/media.nix']));
    expect(result.scope.excluded).toBe(2);
  });

  it('says a file that does not parse once, where a tool pins it', async () => {
    const dir = await repository({ 'ok.nix': '{ }\n', 'bad.nix': '{\n  a = 1;\n' });
    const { result, logger } = await gate(dir, { tools: 'path' });
    // The progress lines count what the summary table counts, and say what was folded.
    const progress = [...new Set(logger.text().split('\n'))].filter((line) =>
      / · \S+: .* \(\d+\.\ds\)$/.test(line),
    );
    expect(progress.map((line) => line.replace(/ \(\d+\.\ds\)$/, '').replace(/^.*?(\w+ · )/, '$1'))).toEqual([
      'format · alejandra: no findings; 1 syntax error folded into one per file',
      'deadnix · deadnix: no findings; 1 syntax error folded into one per file',
      'statix · statix: 1 error',
    ]);
    expect(result.checks.map((check) => [check.tool, check.counts.error])).toEqual([
      ['alejandra', 0],
      ['deadnix', 0],
      ['statix', 1],
    ]);
    expect(rows(result.findings)).toEqual([
      // The real statix says 1:1 for every end of file; deadnix and nixfmt agree on the end of line 2.
      ['bad.nix', 2, 9, undefined, 'error', 'statix', 'E00 syntax_error'],
    ]);
  });
});

describe('fail-on', () => {
  const warningsOnly = { 'a.nix': 'let\n  unused = 1;\nin { }\n' };
  const withError = { 'a.nix': 'let\n  unused = 1;\nin { }   \n' };
  const hintOnly = { 'a.nix': '{ f = x: g x; }\n' };

  it.each([
    ['warnings only', warningsOnly, 'error', true],
    ['warnings only', warningsOnly, 'warning', false],
    ['warnings only', warningsOnly, 'never', true],
    ['an unformatted file', withError, 'error', false],
    ['an unformatted file', withError, 'never', true],
    ['a hint only', hintOnly, 'warning', true],
  ])('with %s at fail-on %s passes: %s', async (_what, files, failOn, passes) => {
    const dir = await repository(files);
    const { result } = await gate(dir, { tools: 'path', 'fail-on': failOn });
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.passed).toBe(passes);
    expect(result.failure === undefined).toBe(passes);
  });

  it('reports a statix hint as a notice', async () => {
    const dir = await repository(hintOnly);
    const { result } = await gate(dir, { tools: 'path', checks: 'statix' });
    expect(rows(result.findings)).toEqual([['a.nix', 1, 7, 13, 'notice', 'statix', 'I07 eta_reduction']]);
  });
});

describeEachVersion(NIX_VERSIONS, 'a flake in a subdirectory', () => {
  it('annotates paths relative to the repository root', async () => {
    const files = Object.fromEntries(Object.entries(FLEET).map(([path, text]) => [`infra/${path}`, text]));
    const dir = await repository({
      ...files,
      'README.md': '# homelab\n',
      'other/stray.nix': 'let\n  x = 1;\nin { }\n',
    });
    const { result } = await gate(dir, { tools: 'path', path: 'infra' });
    expect(result.prefix).toBe('infra');
    expect(result.findings.map((f) => f.file)).toEqual([
      'infra/hosts/gateway.nix',
      'infra/hosts/media.nix',
      'infra/hosts/media.nix',
      'infra/modules/common.nix',
      'infra/modules/common.nix',
    ]);
    expect(result.unformatted).toEqual(['infra/hosts/gateway.nix']);
  });

  it('refuses a path that is not a directory, naming the input', async () => {
    const dir = await repository(FLEET);
    await expect(gate(dir, { path: 'nope' })).rejects.toThrow(
      /^Input 'path' must be a directory in the checkout, got 'nope'/,
    );
  });
});

describeEachVersion(NIX_VERSIONS, 'a tool that cannot give a verdict fails the gate with one line', () => {
  it('statix exiting 0 after a config error', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(dir, {
      tools: 'path',
      'statix-config': 'missing/statix.toml',
      'fail-on': 'never',
    });
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      {
        check: 'statix',
        tool: 'statix',
        reason:
          'statix reported an error and checked nothing: config error: path error: file not found: missing/statix.toml',
      },
    ]);
    expect(result.failure).toBe(
      'flakeflow gate failed: statix reported an error and checked nothing: config error: path error: file not found: missing/statix.toml',
    );
    // The other checks still report.
    expect(result.findings.some((f) => f.check === 'deadnix')).toBe(true);
  });

  it('statix honouring a statix.toml that disables a lint', async () => {
    const dir = await repository({ ...FLEET, 'statix.toml': 'disabled = ["manual_inherit"]\n' });
    const { result } = await gate(dir, { tools: 'path', checks: 'statix', 'statix-config': 'statix.toml' });
    expect(result.findings.map((f) => f.rule)).toEqual(['W01 bool_comparison']);
    expect(result.failures).toEqual([]);
  });

  it('a missing tool with tools: path', async () => {
    const dir = await repository(FLEET);
    const bin = await fakeBin(['statix', 'alejandra']);
    const { result } = await gate(dir, { tools: 'path' }, { env: { PATH: pathWith(bin) } });
    expect(result.failures).toEqual([
      {
        check: 'deadnix',
        tool: 'deadnix',
        reason: 'deadnix is not on PATH (tools: path): install it in the job, or use tools: path-or-nix',
      },
    ]);
    expect(result.passed).toBe(false);
  });

  it('a crash', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(
      dir,
      { tools: 'path', checks: 'deadnix' },
      { env: { FAKE_DEADNIX_PANIC: '1' } },
    );
    expect(result.failures.map((f) => f.reason)).toEqual([
      "deadnix exited with code 101: thread 'main' panicked at src/main.rs:42:10:",
    ]);
  });

  it('a usage error from bad deadnix-args', async () => {
    const dir = await repository(FLEET);
    const { result } = await gate(dir, { tools: 'path', checks: 'deadnix', 'deadnix-args': '--bogus' });
    expect(result.failures.map((f) => f.reason)).toEqual([
      "deadnix exited with code 2: error: unexpected argument '--bogus' found",
    ]);
  });
});

describe('the tools exactly as documented, replayed verbatim', () => {
  it('reads the documented deadnix line and statix 0.5.8 and fork objects through the whole gate', async () => {
    const dir = await repository({
      'example.nix':
        'unusedArgs@{ unusedArg, usedArg, ... }:\nlet\n  inherit (usedArg) used unused_inherit;\nin used\n',
      'a.nix': '{ a }: { inherit a; b = { a = a; }; }\n',
    });
    const scenario = join(await tempDir('scenario'), 'scenario.json');
    const fix = { at: { from: { line: 1, column: 26 }, to: { line: 1, column: 32 } }, fix: 'inherit a;' };
    const report = (name?: string) => ({
      ...(name ? { name } : {}),
      note: 'Assignment instead of inherit',
      code: 3,
      severity: 'Warn',
      diagnostics: [
        { at: fix.at, message: 'This assignment is better written with `inherit`', suggestion: fix },
      ],
    });
    await writeFile(
      scenario,
      JSON.stringify({
        deadnix: {
          stdout:
            '{"file":"example.nix","results":[{"column":1,"endColumn":11,"line":1,"message":"Unused lambda pattern: unusedArgs"},{"column":14,"endColumn":23,"line":1,"message":"Unused lambda pattern: unusedArg"},{"column":22,"endColumn":36,"line":3,"message":"Unused let binding: unused_inherit"}]}\n',
          exit: 0,
        },
        statix: {
          stdout: `${JSON.stringify({ file: './a.nix', report: [report()] }, null, 2)}\n${JSON.stringify({ file: './a.nix', report: [report('manual_inherit')] }, null, 2)}\n`,
          exit: 1,
        },
      }),
    );
    const { result } = await gate(
      dir,
      { tools: 'path', checks: 'deadnix,statix' },
      { env: { FAKE_GATE_SCENARIO: scenario } },
    );
    expect(rows(result.findings)).toEqual([
      ['a.nix', 1, 26, 32, 'warning', 'statix', 'W03 manual_inherit'],
      ['a.nix', 1, 26, 32, 'warning', 'statix', 'W03 manual_inherit'],
      ['example.nix', 1, 1, 11, 'warning', 'deadnix', 'unused lambda pattern'],
      ['example.nix', 1, 14, 23, 'warning', 'deadnix', 'unused lambda pattern'],
      ['example.nix', 3, 22, 36, 'warning', 'deadnix', 'unused let binding'],
    ]);
  });
});

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TOKEN, useFakeGitHub } from '../fake-github/testing.js';
import { errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { cleanUp, fakeBin, pathWith, repository } from './support.js';

afterAll(cleanUp);

const FLEET = {
  'flake.nix': '{\n  description = "homelab";\n  outputs = { self }: { inherit self; };\n}\n',
  'hosts/media.nix':
    '{ config, lib, ... }:\n{\n  networking.hostName = "media";\n  services.jellyfin.enable = config.media.enable == true;\n}\n',
  'modules/common.nix':
    'let\n  port = 8080;\n  unused = "x";\nin {\n  inherit port;\n  openFirewall = openFirewall;\n}\n',
  'hosts/gateway.nix': '{ ... }:\n{\n  networking.hostName = "gateway";   \n}\n',
};
const SHA = '0000000000000000000000000000000000000000';
const BLOB = `https://github.com/octo-org/homelab/blob/${SHA}`;

let path = '';
beforeAll(async () => {
  if (!existsSync(join(repositoryRoot, 'dist', 'gate', 'index.js'))) {
    throw new Error('dist/gate/index.js is missing: run `npm run build` first');
  }
  path = pathWith(await fakeBin());
});

describeEachVersion(NIX_VERSIONS, 'the gate action on the runner', () => {
  // The gate asks Nix whether the flake has a formatter: PATH must lead to this version.
  beforeAll(async () => {
    path = pathWith(await fakeBin());
  });

  it('annotates every finding, sets the outputs, writes the summary and fails the step', async () => {
    const workspace = await repository(FLEET);
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path' },
      env: { PATH: path },
    });
    expect(run.exitCode).toBe(1);
    const findings = run.annotations.filter((annotation) => annotation.properties.file);
    expect(findings.map((a) => [a.command, a.properties, a.message])).toEqual([
      [
        'error',
        { file: 'hosts/gateway.nix', line: '3', title: 'format' },
        'Not formatted: alejandra would change line 3. Run `nix fmt` (or alejandra) and commit the result.',
      ],
      [
        'warning',
        { file: 'hosts/media.nix', line: '1', col: '11', endColumn: '14', title: 'deadnix' },
        'Unused lambda pattern: lib',
      ],
      [
        'warning',
        {
          file: 'hosts/media.nix',
          line: '4',
          col: '30',
          endColumn: '57',
          title: 'statix W01 bool_comparison',
        },
        'Comparing `config.media.enable` with boolean literal `true`\nSuggested: config.media.enable',
      ],
      [
        'warning',
        { file: 'modules/common.nix', line: '3', col: '3', endColumn: '9', title: 'deadnix' },
        'Unused let binding: unused',
      ],
      [
        'warning',
        {
          file: 'modules/common.nix',
          line: '6',
          col: '3',
          endColumn: '31',
          title: 'statix W03 manual_inherit',
        },
        'This assignment is better written with `inherit`\nSuggested: inherit openFirewall;',
      ],
    ]);
    expect(errorLines(run).at(-1)).toBe(
      'flakeflow gate failed: 1 error, 4 warnings in 3 files (fail-on: warning)',
    );

    expect(run.outputs.passed).toBe('false');
    expect(run.outputs.findings).toBe('5');
    expect(JSON.parse(run.outputs.unformatted as string)).toEqual(['hosts/gateway.nix']);
    expect(run.outputs.report?.startsWith(run.runnerTemp)).toBe(true);
    const report = JSON.parse(await readFile(run.outputs.report as string, 'utf8'));
    expect(report.findings.map((f: { file: string; line: number }) => `${f.file}:${f.line}`)).toEqual([
      'hosts/gateway.nix:3',
      'hosts/media.nix:1',
      'hosts/media.nix:4',
      'modules/common.nix:3',
      'modules/common.nix:6',
    ]);

    expect(run.summary).toContain('### ❌ flakeflow gate failed · 1 error, 4 warnings');
    expect(run.summary).toContain('Checked 4 .nix files · fail-on: `warning`');
    expect(run.summary).toMatch(/\| format \| alejandra \| 1 \| 0 \| 0 \| \d+/);
    expect(run.summary).toMatch(/\| deadnix \| deadnix \| 0 \| 2 \| 0 \| \d+/);
    expect(run.summary).toMatch(/\| statix \| statix \| 0 \| 2 \| 0 \| \d+/);
    expect(run.summary).toContain('#### Findings in 3 files');
    expect(run.summary).toContain('<details><summary><code>hosts/media.nix</code> · ⚠️ 2</summary>');
    expect(run.summary).toContain(
      `| ⚠️ | [1:11](${BLOB}/hosts/media.nix#L1) | deadnix | Unused lambda pattern: lib |`,
    );
    expect(run.summary).toContain(`| ❌ | [3](${BLOB}/hosts/gateway.nix#L3) | format |`);
    expect(run.summary).toContain(
      `| ⚠️ | [6:3](${BLOB}/modules/common.nix#L6) | statix W03 manual_inherit | This assignment is better written with \`inherit\`<br>Suggested: inherit openFirewall; |`,
    );
    const groups = run.commands
      .filter((command) => command.command === 'group')
      .map((command) => command.message);
    expect(groups).toHaveLength(3);
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });

  it('says a clean run in one line and passes', async () => {
    const workspace = await repository({ 'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n' });
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path' },
      env: { PATH: path },
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true', findings: '0', unformatted: '[]' });
    expect(run.summary.trim().split('\n')).toEqual([
      '✅ **flakeflow gate** passed: no findings in 1 .nix file (format (alejandra), deadnix, statix).',
    ]);
  });

  it('reports without failing at fail-on never, and without annotations when asked', async () => {
    const workspace = await repository(FLEET);
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path', 'fail-on': 'never', annotations: 'false' },
      env: { PATH: path },
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true', findings: '5' });
    expect(run.summary).toContain('### ✅ flakeflow gate passed · 1 error, 4 warnings');
  });

  it('fails at fail-on error only for errors', async () => {
    const workspace = await repository({ 'a.nix': 'let\n  unused = 1;\nin { }\n' });
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path', 'fail-on': 'error' },
      env: { PATH: path },
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations.map((a) => a.command)).toEqual(['warning']);
  });

  it('fails with one line when a tool is missing', async () => {
    const workspace = await repository(FLEET);
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path', checks: 'deadnix' },
      env: { PATH: pathWith(await fakeBin(['statix'])) },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      'flakeflow gate failed: deadnix is not on PATH (tools: path): install it in the job, or use tools: path-or-nix',
    ]);
    expect(run.summary).toContain('❌ **deadnix** did not run: deadnix is not on PATH (tools: path)');
  });

  it('rejects bad input with one line naming it', async () => {
    const run = await runAction({
      action: 'gate',
      inputs: { 'deadnix-args': '--edit' },
      env: { PATH: path },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      "Input 'deadnix-args' must not set --output-format, --edit or --quiet (the gate reads deadnix's JSON and never edits), got '--edit'",
    ]);
  });
});

describe('the job summary of the gate action', () => {
  it('tells the folded syntax errors and how many annotations GitHub will not show', async () => {
    const files: Record<string, string> = {
      // The real tools' reports of this file were recorded: 9 of one syntax error among them.
      'hosts/bad.nix': await readFile(
        join(repositoryRoot, 'test/fixtures/recorded/linters/corpus/syntax_tab.nix'),
        'utf8',
      ),
    };
    for (let host = 0; host < 12; host += 1)
      files[`hosts/host${host}.nix`] = `let\n  dead${host} = 1;\nin { }\n`;
    const run = await runAction({
      action: 'gate',
      workspace: await repository(files),
      inputs: { tools: 'path', formatter: 'alejandra' },
      env: { PATH: path, FAKE_STATIX_VARIANT: '0.5.8' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.filter((a) => a.command === 'warning')).toHaveLength(12);
    expect(run.summary).toContain(
      '🔕 GitHub shows 10 annotations of each level per step: 2 of 12 warnings are not annotated on the files; ' +
        'the table below lists every one.',
    );
    expect(run.summary).toContain(
      '🧩 8 more reports of the same syntax error folded into one annotation per file:\n' +
        '- `hosts/bad.nix`: annotated at 3:6 (statix); folded: deadnix at 3:6, 4:1, 4:2 (2×); ' +
        'alejandra at 3:6; statix at 4:1, 4:2 (2×)\n',
    );
  });
});

describe('the gate action publishing to GitHub', () => {
  const github = useFakeGitHub({ repositories: ['octo-org/homelab'], token: FAKE_TOKEN });

  it('puts all 200 findings in the check run and the job summary', async () => {
    const repo = github.server.repo('octo-org/homelab');
    const sha = repo.branch('main') as string;
    const files: Record<string, string> = {};
    for (let host = 0; host < 40; host += 1) {
      files[`hosts/host${String(host).padStart(2, '0')}.nix`] =
        `let\n${Array.from({ length: 5 }, (_, i) => `  dead${i} = ${i};`).join('\n')}\nin { }\n`;
    }
    const workspace = await repository(files);
    const run = await runAction({
      action: 'gate',
      workspace,
      inputs: { tools: 'path', checks: 'deadnix', 'check-run': 'true' },
      githubToken: FAKE_TOKEN,
      env: {
        PATH: path,
        GITHUB_API_URL: github.server.url,
        GITHUB_GRAPHQL_URL: github.server.graphqlUrl,
        GITHUB_SHA: sha,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.masks).toContain(FAKE_TOKEN);
    expect(run.annotations.filter((a) => a.command === 'warning')).toHaveLength(200);
    expect(repo.checkRuns).toHaveLength(1);
    expect(repo.checkRuns[0]?.output.annotations).toHaveLength(200);
    expect(repo.checkRuns[0]).toMatchObject({ headSha: sha, status: 'completed', conclusion: 'failure' });
    expect(run.summary.split('\n').filter((line) => line.startsWith('| ⚠️ |'))).toHaveLength(200);
    expect(run.summary).toContain('🔎 Every finding is annotated in the [flakeflow gate check run](');
    expect(run.outputs.findings).toBe('200');
  });
});

// What the annotations leave out, the job summary says: syntax errors folded into one annotation per
// file, annotations GitHub does not show (10 per level and step), unformatted files without lines.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/gate/findings.js';
import { renderSummary } from '../../src/gate/summary.js';
import { cleanUp, gate, RECORDED_LINTERS, repository } from './support.js';

afterAll(cleanUp);

const LINKS = { serverUrl: 'https://github.com' };

describe('syntax errors folded into one annotation per file', () => {
  // syntax_tab.nix as the real tools saw it: deadnix reports 15..16, 17..18 and twice the end of
  // file; statix 3:6, 4:1 and twice 1:1 (its end of file); alejandra 15..16 (recordings in
  // test/fixtures/recorded/linters). The end of the file is 4:2, after the closing brace.
  it.each([
    ['statix 0.5.8', { FAKE_STATIX_VARIANT: '0.5.8' }],
    ['the statix fork', {}],
  ])('says how many and where, with %s', async (_variant, env) => {
    const dir = await repository({
      'hosts/bad.nix': await readFile(join(RECORDED_LINTERS, 'corpus/syntax_tab.nix'), 'utf8'),
      'ok.nix': '{ }\n',
    });
    const { result } = await gate(dir, { tools: 'path', formatter: 'alejandra' }, { env });
    expect(result.findings.map((f) => [f.file, f.line, f.column, f.tool])).toEqual([
      ['hosts/bad.nix', 3, 6, 'statix'],
    ]);
    const summary = renderSummary(result, LINKS, { annotated: true });
    expect(summary).toContain(
      '🧩 8 more reports of the same syntax error folded into one annotation per file:\n' +
        '- `hosts/bad.nix`: annotated at 3:6 (statix); folded: deadnix at 3:6, 4:1, 4:2 (2×); ' +
        'alejandra at 3:6; statix at 4:1, 4:2 (2×)\n',
    );
  });

  it('names each file, and a report without a position', async () => {
    const dir = await repository({ 'a.nix': '{\n  a = 1;\n', 'b.nix': '[ 1 2 )\n' });
    const { result } = await gate(dir, { tools: 'path', formatter: 'alejandra' });
    expect(result.folded.map((file) => [file.file, file.kept.tool, file.folded.length])).toEqual([
      ['a.nix', 'statix', 2],
      ['b.nix', 'statix', 2],
    ]);
    expect(renderSummary(result, LINKS)).toMatch(
      /🧩 4 more reports of the same syntax errors folded into one annotation per file:\n- `a\.nix`: .*\n- `b\.nix`: /,
    );
  });
});

function warnings(count: number, extra: Finding[] = []): Finding[] {
  return [
    ...Array.from({ length: count }, (_, index) => ({
      check: 'deadnix' as const,
      tool: 'deadnix',
      file: `hosts/host${String(index).padStart(2, '0')}.nix`,
      line: 2,
      severity: 'warning' as const,
      rule: 'unused let binding',
      message: `Unused let binding: dead${index}`,
    })),
    ...extra,
  ];
}

function resultWith(findings: Finding[], checkRunUrl?: string) {
  return {
    passed: false,
    failOn: 'warning' as const,
    findings,
    failures: [],
    folded: [],
    unformatted: [],
    checks: [],
    scope: { mode: 'all' as const, files: findings.map((f) => f.file), excluded: 0 },
    prefix: '',
    reportPath: '/tmp/report.json',
    publication: {
      warnings: [],
      ...(checkRunUrl ? { checkRun: { id: 1, url: checkRunUrl, requests: 1 } } : {}),
    },
  };
}

describe('annotations GitHub does not show', () => {
  const unformatted = (file: string): Finding => ({
    check: 'format',
    tool: 'nix fmt (alejandra)',
    file,
    severity: 'error',
    rule: 'unformatted',
    message: 'Not formatted',
  });

  it('counts those past 10 per level, when the step annotates', () => {
    const errors = Array.from({ length: 13 }, (_, index) => unformatted(`e${index}.nix`));
    const result = resultWith(warnings(12, errors));
    expect(renderSummary(result, LINKS, { annotated: true })).toContain(
      '🔕 GitHub shows 10 annotations of each level per step: 3 of 13 errors and 2 of 12 warnings are not ' +
        'annotated on the files; the table below lists every one.',
    );
    expect(renderSummary(result, LINKS, { annotated: false })).not.toContain('🔕');
    expect(renderSummary(resultWith(warnings(10)), LINKS, { annotated: true })).not.toContain('🔕');
  });

  it('points at the check run when there is one', () => {
    const result = resultWith(warnings(11), 'https://github.com/octo-org/homelab/runs/1');
    expect(renderSummary(result, LINKS, { annotated: true })).toContain(
      '1 of 11 warnings are not annotated on the files; the table below and the ' +
        '[check run](https://github.com/octo-org/homelab/runs/1) list every one.',
    );
  });

  it('names the unformatted files whose changed lines were not computed', () => {
    const result = resultWith([unformatted('a.nix'), unformatted('hosts/b.nix')]);
    expect(renderSummary(result, LINKS)).toContain(
      '📄 Changed lines not computed for 2 unformatted files (nix fmt (alejandra) checks without saying ' +
        'which lines it would change), annotated as a whole: `a.nix`, `hosts/b.nix`.',
    );
  });
});

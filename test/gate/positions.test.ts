// Every tool's position becomes the column a person counts: one per Unicode character (code point),
// a tab one. The sources put emoji, a supplementary-plane Nerd Font icon, a combining mark, CJK text
// and tabs before a finding and before a syntax error. The tools' outputs for them are not recorded
// (the real tools cannot run here): they are written in each tool's recorded format
// (/work/shared/formats/lint-tools.md, test/fixtures/recorded/linters) with the positions counted from
// the sources' UTF-8 bytes as the real tools count them: deadnix, statix, alejandra and Nix in bytes,
// nixfmt in characters with a tab reaching the next multiple of 8. The person columns are counted by hand.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { indexOfColumn, locateFindings, SourceLines } from '../../src/gate/positions.js';
import { statixEdit } from '../../src/gate/suggestions.js';
import type { ToolFinding } from '../../src/gate/tool-run.js';
import { parseAlejandra } from '../../src/gate/tools/alejandra.js';
import { parseDeadnixJson } from '../../src/gate/tools/deadnix.js';
import { readNixFmtCheck } from '../../src/gate/tools/nix-fmt.js';
import { parseNixfmt } from '../../src/gate/tools/nixfmt.js';
import { parseStatixErrfmt, parseStatixJson } from '../../src/gate/tools/statix.js';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { cleanUp, gate, repository, tempDir } from './support.js';

afterAll(cleanUp);

const ICON = '\u{F0463}'; // a Nerd Font icon in the supplementary private use plane: 4 bytes, 2 UTF-16 units
const COMBINING = 'Ame\u0301lie'; // "é" as "e" and a combining acute accent: two characters

/** deadnix's unused `lib`: [case, source, line, byte column, byte end, person column, person end]. */
const UNUSED_LIB: [string, string, number, number, number, number, number][] = [
  ['emoji', '{ x = "🚀🌍✨"; f = { pkgs, lib, ... }: pkgs; }\n', 1, 34, 37, 26, 29],
  ['a satellite', '{ x = "🛰"; f = { pkgs, lib, ... }: pkgs; }\n', 1, 27, 30, 24, 27],
  ['a supplementary-plane icon', `{ x = "${ICON} up"; f = { pkgs, lib, ... }: pkgs; }\n`, 1, 30, 33, 27, 30],
  ['a combining mark', `{ x = "${COMBINING}"; f = { pkgs, lib, ... }: pkgs; }\n`, 1, 31, 34, 30, 33],
  ['CJK', '{ x = "日本語"; f = { pkgs, lib, ... }: pkgs; }\n', 1, 32, 35, 26, 29],
  ['tabs', '{\n\tx = "\t🛰";\tf = { pkgs, lib, ... }: pkgs;\n}\n', 2, 27, 30, 24, 27],
];

/** statix's `e == true` (W01): the same columns, for its JSON span and fix and for errfmt. */
const BOOL_COMPARISON: [string, string, number, number, number, number, number][] = [
  ['emoji', '{ icon = "🚀🌍✨"; down = e == true; }\n', 1, 32, 41, 24, 33],
  ['a satellite', '{ icon = "🛰"; down = e == true; }\n', 1, 25, 34, 22, 31],
  ['a supplementary-plane icon', `{ icon = "${ICON} up"; down = e == true; }\n`, 1, 28, 37, 25, 34],
  ['a combining mark', `{ icon = "${COMBINING}"; down = e == true; }\n`, 1, 29, 38, 28, 37],
  ['CJK', '{ icon = "日本語"; down = e == true; }\n', 1, 30, 39, 24, 33],
  ['tabs', '{\n\ticon = "\t🛰";\tdown = e == true;\n}\n', 2, 25, 34, 22, 31],
];

/**
 * `b = ;`, a syntax error at the `;`: [case, source, line, 0-based byte offset, byte column,
 * megaparsec's column, person column].
 */
const SYNTAX_ERROR: [string, string, number, number, number, number, number][] = [
  ['emoji', '{ a = "🚀🌍✨"; b = ; }\n', 1, 25, 26, 18, 18],
  ['a satellite', '{ a = "🛰"; b = ; }\n', 1, 18, 19, 16, 16],
  ['a supplementary-plane icon', `{ a = "${ICON} up"; b = ; }\n`, 1, 21, 22, 19, 19],
  ['a combining mark', `{ a = "${COMBINING}"; b = ; }\n`, 1, 22, 23, 22, 22],
  ['CJK', '{ a = "日本語"; b = ; }\n', 1, 23, 24, 18, 18],
  ['tabs', '{\n\ta = "x\t🛰";\tb = ;\n}\n', 2, 21, 20, 29, 17],
];

const WANTED =
  'wanted any of [TOKEN_L_PAREN, TOKEN_REC, TOKEN_L_BRACE, TOKEN_L_BRACK, TOKEN_STRING_START, TOKEN_IDENT]';

async function locate(source: string, found: ToolFinding[]) {
  const dir = await tempDir('positions');
  await writeFile(join(dir, 'a.nix'), source);
  return locateFindings(found, dir, '');
}

const at = (findings: { line?: number; column?: number; endColumn?: number }[]) =>
  findings.map(({ line, column, endColumn }) => ({ line, column, endColumn }));

describe('the column a person counts', () => {
  it('counts bytes of UTF-8 and megaparsec tab stops down to one column per character', () => {
    const lines = SourceLines.fromText(`a = "🚀${COMBINING}日";\n\t\tb = 1;\n`);
    // 🚀 is 4 bytes, the combining accent 2 (a character of its own), 日 3.
    expect(lines.column(1, 6, 'bytes')).toBe(6);
    expect(lines.column(1, 10, 'bytes')).toBe(7);
    expect(lines.column(1, 13, 'bytes')).toBe(10);
    expect(lines.column(1, 15, 'bytes')).toBe(11);
    expect(lines.column(1, 18, 'bytes')).toBe(14);
    expect(lines.column(1, 22, 'bytes')).toBe(16);
    // A byte column inside a character is that character's; past the end, one column per byte.
    expect(lines.column(1, 8, 'bytes')).toBe(6);
    expect(lines.column(1, 19, 'bytes')).toBe(14);
    expect(lines.column(1, 26, 'bytes')).toBe(20);
    expect(lines.column(2, 17, 'tab-stops')).toBe(3);
    expect(lines.column(2, 9, 'tab-stops')).toBe(2);
    expect(lines.column(2, 5, 'tab-stops')).toBe(1);
    expect(lines.column(1, 1, 'bytes')).toBe(1);
    expect(lines.column(9, 4, 'bytes')).toBe(4);
  });

  it('finds a person column in a JavaScript string, surrogate pairs being one character', () => {
    const text = '{ x = "🚀🌍✨"; f = { pkgs, lib, ... }: pkgs; }';
    expect(text.slice(indexOfColumn(text, 26), indexOfColumn(text, 29))).toBe('lib');
    expect(indexOfColumn(text, 1)).toBe(0);
    expect(indexOfColumn('ab', 9)).toBe(2);
  });
});

describe.each(UNUSED_LIB)(
  'deadnix: an unused lib after %s',
  (_name, source, line, byte, byteEnd, column, endColumn) => {
    it('JSON byte columns become person columns', async () => {
      const json = `{"file":"a.nix","results":[{"column":${byte},"endColumn":${byteEnd},"line":${line},"message":"Unused lambda pattern: lib"}]}\n`;
      const { findings } = parseDeadnixJson(json);
      expect(at(await locate(source, findings))).toEqual([{ line, column, endColumn }]);
    });
  },
);

describe.each(BOOL_COMPARISON)(
  'statix: e == true after %s',
  (_name, source, line, byte, byteEnd, column, endColumn) => {
    const span = { from: { line, column: byte }, to: { line, column: byteEnd } };
    const report = (name?: string) => ({
      file: 'a.nix',
      report: [
        {
          ...(name ? { name } : {}),
          note: 'Unnecessary comparison with boolean',
          code: 1,
          severity: 'Warn',
          diagnostics: [
            {
              at: span,
              message: 'Comparing `e` with boolean literal `true`',
              suggestion: { at: span, fix: 'e' },
            },
          ],
        },
      ],
    });

    it.each([
      ['0.5.8', undefined],
      ['the fork', 'bool_comparison'],
    ])(
      'JSON of %s: span and fix in person columns, and the fix applies to the line',
      async (_variant, name) => {
        const [finding] = await locate(source, parseStatixJson(`${JSON.stringify(report(name), null, 2)}\n`));
        expect(at([finding as object])).toEqual([{ line, column, endColumn }]);
        expect(finding?.fix).toMatchObject({ line, column, endLine: line, endColumn });
        const lines = SourceLines.fromText(source);
        const edit = statixEdit(finding as never, (n) => lines.text(n));
        expect(edit?.text).toBe((lines.text(line) as string).replace('e == true', 'e'));
      },
    );

    it('errfmt', async () => {
      const errfmt = `a.nix>${line}:${byte}:W:1:Comparing \`e\` with boolean literal \`true\`\n`;
      expect(at(await locate(source, parseStatixErrfmt(errfmt)))).toEqual([
        { line, column, endColumn: undefined },
      ]);
    });
  },
);

describe.each(SYNTAX_ERROR)(
  'a syntax error after %s',
  (_name, source, line, offset, byte, tabColumn, column) => {
    const deadnixJson = `{"file":"a.nix","results":[{"message":"unexpected TOKEN_SEMICOLON at ${offset}..${offset + 1}, ${WANTED}"}]}\n`;
    const alejandraStderr = `Checking style in 1 file using 2 threads.\n\n\nFailed! 1 error found at:\n- a.nix: unexpected TOKEN_SEMICOLON at ${offset}..${offset + 1}, ${WANTED}\n`;
    const nixfmtStderr = `a.nix:${line}:${tabColumn}:\n  |\n${line} | …\n  | ^\nunexpected ";"\nexpecting expression\n`;
    const expected = [{ line, column, endColumn: column + 1 }];

    it('deadnix: a byte range in its message', async () => {
      expect(at(await locate(source, parseDeadnixJson(deadnixJson).findings))).toEqual(expected);
    });

    it('statix: line and byte column, in errfmt', async () => {
      const errfmt = `a.nix>${line}:${byte}:E:0:Unexpected TOKEN_SEMICOLON at ${offset}..${offset + 1}, ${WANTED}\n`;
      expect(at(await locate(source, parseStatixErrfmt(errfmt)))).toEqual([
        { line, column, endColumn: undefined },
      ]);
    });

    it('alejandra, and nix fmt running it: a byte range, no line', async () => {
      expect(parseAlejandra('', alejandraStderr).errors).toHaveLength(1);
      const found = readNixFmtCheck('alejandra', 'nix fmt (alejandra)', {
        stdout: '',
        stderr: alejandraStderr,
      });
      expect(at(await locate(source, found.findings))).toEqual(expected);
    });

    it('nixfmt: characters with tab stops of 8', async () => {
      expect(parseNixfmt(nixfmtStderr).errors.map((error) => error.column)).toEqual([tabColumn]);
      const found = readNixFmtCheck('nixfmt', 'nix fmt (nixfmt)', { stdout: '', stderr: nixfmtStderr });
      expect(at(await locate(source, found.findings))).toEqual([{ line, column, endColumn: undefined }]);
    });
  },
);

describeEachVersion(NIX_VERSIONS, 'flake check: where Nix points, after emoji and tabs', () => {
  // Nix counts bytes: line 2 starts with a tab, then `x86_64-linux = { icon = "` (25 characters).
  it.each([
    // `undefinedVar`: byte column 45, the 37th character.
    [
      'an evaluation error',
      '{ icon = "🚀🌍✨"; v = undefinedVar; }',
      37,
      "undefined variable 'undefinedVar'",
    ],
    // The `;` after `v = `: byte column 38, the 35th character.
    ['a syntax error', '{ icon = "🛰"; v = ; }', 35, "syntax error, unexpected ';'"],
  ])("turns Nix's byte column of %s into the person column", async (_kind, attrs, column, message) => {
    await requireNix();
    const dir = await repository({
      'flake.nix': '{\n  outputs = { self }: {\n    checks = import ./checks.nix;\n  };\n}\n',
      'checks.nix': `{\n\tx86_64-linux = ${attrs};\n}\n`,
    });
    const { result } = await gate(dir, { checks: 'flake-check' });
    expect(result.findings.map((f) => [f.file, f.line, f.column])).toEqual([['checks.nix', 2, column]]);
    expect(result.findings[0]?.message).toContain(message);
  });
});

describe('the issue: the fakes report bytes as the real tools do, the gate the person column', () => {
  it('puts the unused lib after three emoji on column 26 and statix after a satellite on 22', async () => {
    const dir = await repository({
      'a.nix': '{ x = "🚀🌍✨"; f = { pkgs, lib, ... }: pkgs; }\n',
      'b.nix': '{ icon = "🛰"; down = e == true; }\n',
    });
    const { result } = await gate(dir, { tools: 'path', checks: 'deadnix,statix' });
    expect(result.findings.map((f) => [f.file, f.line, f.column, f.endColumn, f.tool])).toEqual([
      ['a.nix', 1, 26, 29, 'deadnix'],
      ['b.nix', 1, 22, 31, 'statix'],
    ]);
  });
});

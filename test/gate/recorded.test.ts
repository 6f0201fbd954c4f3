// Every recording of the real deadnix, statix (0.5.8 and the fork), alejandra and nixfmt goes through
// flakeflow's parsers. The expected findings are what a person sees in the corpus file
// (test/fixtures/recorded/linters/corpus): line, character column (a tab is one character), message.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../src/core/concurrency.js';
import type { Finding } from '../../src/gate/findings.js';
import { locateFindings } from '../../src/gate/positions.js';
import { parseErrorOffset, type ToolFinding } from '../../src/gate/tool-run.js';
import { parseAlejandra } from '../../src/gate/tools/alejandra.js';
import { parseDeadnixJson } from '../../src/gate/tools/deadnix.js';
import { parseNixfmt } from '../../src/gate/tools/nixfmt.js';
import { parseStatixErrfmt, parseStatixJson } from '../../src/gate/tools/statix.js';

const REPO = resolve(import.meta.dirname, '../..');
const RECORDED = join(REPO, 'test/fixtures/recorded');
const LINTERS = join(RECORDED, 'linters');
const CORPUS = join(LINTERS, 'corpus');
const FAKES = join(REPO, 'test/gate/fakes/bin');

const recorded = (folder: string, name: string, part: string) =>
  readFile(join(LINTERS, folder, `${name}.${part}`), 'utf8');
const cases = async (folder: string, pattern: RegExp) =>
  [...new Set((await readdir(join(LINTERS, folder))).map((file) => file.replace(/\.[a-z]+$/, '')))]
    .filter((name) => pattern.test(name))
    .sort();

type Row = [
  file: string,
  line: number | undefined,
  column: number | undefined,
  severity: string,
  message: string,
];
const rows = (findings: readonly Finding[]): Row[] =>
  findings.map((f) => [f.file, f.line, f.column, f.severity, f.message]);
const located = async (found: ToolFinding[]) => rows(await locateFindings(found, CORPUS, ''));
/** The corpus case a recording is about: `json-sub_skip` → `sub/skip.nix`. */
const fileOf = (name: string) => `${name.replace(/^[a-z]+-/, '').replace(/^sub_/, 'sub/')}.nix`;

describe('the copied recordings', () => {
  it('equal ../shared/recorded beside the repository, when it is there', async () => {
    const shared = resolve(REPO, '../shared/recorded');
    const files = async (root: string, dir = ''): Promise<string[]> =>
      (
        await Promise.all(
          (
            await readdir(join(root, dir), { withFileTypes: true })
          ).map((entry) =>
            entry.isDirectory() ? files(root, join(dir, entry.name)) : [join(dir, entry.name)],
          ),
        )
      ).flat();
    const ours = (await files(RECORDED)).filter((file) => file !== 'README.md').sort();
    expect(ours.length).toBeGreaterThan(1000);
    if (!existsSync(shared)) return;
    for (const file of ours) {
      expect(await readFile(join(RECORDED, file)), file).toEqual(await readFile(join(shared, file)));
    }
  });
});

describe('the fake tools print the recordings byte for byte', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flakeflow-recorded-'));
    await cp(CORPUS, dir, { recursive: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = promisify(execFile);
  const withoutNoColor = () => {
    const env = { ...process.env };
    delete env.NO_COLOR;
    return env;
  };
  const fake = async (tool: string, args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(join(FAKES, tool), args, {
        cwd: dir,
        env: { ...withoutNoColor(), ...env },
      });
      return { stdout, stderr, exit: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, exit: failed.code };
    }
  };

  it.each([
    ['deadnix', 'deadnix', {}],
    ['deadnix', 'deadnix', { NO_COLOR: '' }],
    ['statix', 'statix', { FAKE_STATIX_VARIANT: '0.5.8' }],
    ['statix-fork', 'statix', {}],
    ['alejandra', 'alejandra', {}],
    ['nixfmt', 'nixfmt', {}],
  ])('%s: every recorded command line %o', async (folder, tool, env) => {
    const noColor = 'NO_COLOR' in env;
    const names = (await cases(folder, /./)).filter((name) => name.includes('-nocolor-') === noColor);
    const outputs = await mapConcurrently(names, 4, async (name) => {
      const argv = await recorded(folder, name, 'argv');
      if (argv.includes('<')) return undefined; // read stdin through a shell redirection
      const args = argv
        .trim()
        .split(/\s+/)
        .slice(1)
        .map((word) => word.replace(/\\(.)/g, '$1'));
      return { name, output: await fake(tool, args, env as Record<string, string>) };
    });
    const replayed = outputs.filter((entry) => entry !== undefined);
    for (const { name, output } of replayed) {
      expect(output, `${folder}/${name}`).toEqual({
        stdout: await recorded(folder, name, 'stdout'),
        stderr: await recorded(folder, name, 'stderr'),
        exit: Number(await recorded(folder, name, 'exit')),
      });
    }
    expect(replayed.length).toBeGreaterThan(15);
  });

  it('print the real output for a corpus file under another name, among other files', async () => {
    await mkdir(join(dir, 'hosts'), { recursive: true });
    await writeFile(join(dir, 'hosts/web.nix'), await readFile(join(CORPUS, 'syntax_tab.nix')));
    expect((await fake('nixfmt', ['--check', 'hosts/web.nix', 'clean.nix'])).stderr).toBe(
      (await recorded('nixfmt', 'check-syntax_tab', 'stderr')).replace('syntax_tab.nix', 'hosts/web.nix') +
        'clean.nix: not formatted\n',
    );
    expect((await fake('deadnix', ['-o', 'json', '--', 'hosts/web.nix'])).stdout).toBe(
      (await recorded('deadnix', 'json-syntax_tab', 'stdout')).replace('"syntax_tab.nix"', '"hosts/web.nix"'),
    );
    const alejandra = await fake('alejandra', ['--check', '--', 'hosts/web.nix', 'missing.nix']);
    expect(alejandra).toEqual({
      stdout: '',
      stderr: (await recorded('alejandra', 'check-syntax_tab', 'stderr')).replace(
        ' syntax_tab.nix',
        ' hosts/web.nix',
      ),
      exit: 1,
    });
  });
});

const DEADNIX: Record<string, Row[]> = {
  'crlf.nix': [['crlf.nix', 3, 3, 'warning', 'Unused let binding: unused']],
  'multiline.nix': [['multiline.nix', 7, 3, 'warning', 'Unused let binding: unusedMulti']],
  'nonascii.nix': [['nonascii.nix', 2, 17, 'warning', 'Unused let binding: unusedX']],
  'nonascii_ident.nix': [
    [
      'nonascii_ident.nix',
      2,
      23,
      'error',
      'Syntax error: unexpected TOKEN_ERROR at 70..72, wanted any of [TOKEN_ASSIGN]',
    ],
  ],
  'sub/skip.nix': [
    ['sub/skip.nix', 1, 6, 'warning', 'Unused lambda pattern: b'],
    ['sub/skip.nix', 5, 3, 'warning', 'Unused let binding: notSkipped'],
  ],
  'syntax_eof.nix': [['syntax_eof.nix', 2, 9, 'error', 'Syntax error: unexpected end of file']],
  'syntax_error.nix': [
    [
      'syntax_error.nix',
      3,
      7,
      'error',
      `Syntax error: unexpected TOKEN_SEMICOLON at 17..18, wanted any of ${WANTED_EXPRESSION()}`,
    ],
    [
      'syntax_error.nix',
      4,
      1,
      'error',
      'Syntax error: unexpected TOKEN_R_BRACE at 19..20, wanted any of [TOKEN_SEMICOLON]',
    ],
    [
      'syntax_error.nix',
      4,
      2,
      'error',
      'Syntax error: unexpected end of file, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_error.nix', 4, 2, 'error', 'Syntax error: unexpected end of file'],
  ],
  'syntax_nonascii.nix': [
    [
      'syntax_nonascii.nix',
      1,
      19,
      'error',
      `Syntax error: unexpected TOKEN_SEMICOLON at 26..27, wanted any of ${WANTED_EXPRESSION()}`,
    ],
    [
      'syntax_nonascii.nix',
      1,
      21,
      'error',
      'Syntax error: unexpected TOKEN_R_BRACE at 28..29, wanted any of [TOKEN_SEMICOLON]',
    ],
    [
      'syntax_nonascii.nix',
      1,
      22,
      'error',
      'Syntax error: unexpected end of file, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_nonascii.nix', 1, 22, 'error', 'Syntax error: unexpected end of file'],
  ],
  'syntax_tab.nix': [
    [
      'syntax_tab.nix',
      3,
      6,
      'error',
      `Syntax error: unexpected TOKEN_SEMICOLON at 15..16, wanted any of ${WANTED_EXPRESSION()}`,
    ],
    [
      'syntax_tab.nix',
      4,
      1,
      'error',
      'Syntax error: unexpected TOKEN_R_BRACE at 17..18, wanted any of [TOKEN_SEMICOLON]',
    ],
    [
      'syntax_tab.nix',
      4,
      2,
      'error',
      'Syntax error: unexpected end of file, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_tab.nix', 4, 2, 'error', 'Syntax error: unexpected end of file'],
  ],
  'tabs.nix': [['tabs.nix', 3, 2, 'warning', 'Unused let binding: unusedTab']],
  'unused_lambda.nix': [['unused_lambda.nix', 1, 4, 'warning', 'Unused lambda argument: y']],
  'unused_let.nix': [
    ['unused_let.nix', 3, 3, 'warning', 'Unused let binding: unused'],
    ['unused_let.nix', 4, 22, 'warning', 'Unused let binding: unusedInherit'],
  ],
  'unused_pattern.nix': [['unused_pattern.nix', 1, 9, 'warning', 'Unused lambda pattern: lib']],
};

function WANTED_EXPRESSION(): string {
  return '[TOKEN_L_PAREN, TOKEN_REC, TOKEN_L_BRACE, TOKEN_L_BRACK, TOKEN_STRING_START, TOKEN_IDENT]';
}

describe('deadnix 1.3.1 recordings', () => {
  it('every single-file JSON run: each finding where a person sees it', async () => {
    for (const name of await cases('deadnix', /^json-(?!dir|exclude|missing|multi|syntax-fail|clean-fail)/)) {
      const parsed = parseDeadnixJson(await recorded('deadnix', name, 'stdout'));
      expect(await located(parsed.findings), name).toEqual(DEADNIX[fileOf(name)] ?? []);
      expect(parsed.unreadable).toEqual([]);
    }
  });

  it('several files, a directory (./ paths) and --exclude: the same findings per file', async () => {
    const perFile = (files: string[]) => files.flatMap((file) => DEADNIX[file] ?? []);
    const sorted = (list: Row[]) => [...list].sort((a, b) => `${a}`.localeCompare(`${b}`));
    const multi = parseDeadnixJson(await recorded('deadnix', 'json-multi', 'stdout'));
    expect(await located(multi.findings)).toEqual(
      perFile(['unused_let.nix', 'syntax_error.nix', 'nonascii.nix', 'crlf.nix']),
    );
    const all = Object.keys(DEADNIX);
    const dir = parseDeadnixJson(await recorded('deadnix', 'json-dir', 'stdout'));
    expect(sorted(await located(dir.findings))).toEqual(sorted(perFile(all)));
    const excluded = parseDeadnixJson(await recorded('deadnix', 'json-exclude', 'stdout'));
    expect(sorted(await located(excluded.findings))).toEqual(
      sorted(perFile(all.filter((file) => file !== 'sub/skip.nix' && file !== 'crlf.nix'))),
    );
  });

  it('a missing file is a message with exit 0: read as unread, never as clean or as a syntax error', async () => {
    expect(await recorded('deadnix', 'json-missing', 'exit')).toBe('0\n');
    const parsed = parseDeadnixJson(await recorded('deadnix', 'json-missing', 'stdout'));
    expect(parsed.findings).toEqual([]);
    expect(parsed.unread).toEqual([
      { path: 'nonexistent.nix', message: 'No such file or directory (os error 2)' },
    ]);
  });
});

const STATIX_058: Record<string, Row[]> = {
  'bool.nix': [
    ['bool.nix', 4, 7, 'warning', 'Comparing `x` with boolean literal `true`'],
    ['bool.nix', 5, 7, 'warning', 'Try `!=` instead of `!(... == ...)`'],
  ],
  'crlf.nix': [['crlf.nix', 6, 7, 'warning', 'Comparing `used` with boolean literal `true`']],
  'empty_let.nix': [['empty_let.nix', 1, 1, 'warning', 'This let-in expression has no entries']],
  'inherit_from.nix': [
    ['inherit_from.nix', 6, 3, 'warning', 'This assignment is better written with `inherit`'],
    ['inherit_from.nix', 7, 3, 'warning', 'This assignment is better written with `inherit`'],
  ],
  'multiline.nix': [['multiline.nix', 19, 7, 'warning', 'This let-in expression has no entries']],
  'nonascii.nix': [
    ['nonascii.nix', 2, 55, 'warning', 'Comparing `t` with boolean literal `true`'],
    ['nonascii.nix', 2, 70, 'warning', 'Useless parentheses around value in binding'],
  ],
  'nonascii_ident.nix': [
    ['nonascii_ident.nix', 2, 62, 'warning', 'Useless parentheses around value in binding'],
    ['nonascii_ident.nix', 2, 23, 'error', 'Error node at 70..72'],
  ],
  'null_cmp.nix': [
    ['null_cmp.nix', 5, 7, 'warning', '`isNull` is deprecated, check equality with `null` instead'],
  ],
  // statix says 1:1 for every end of file: placed at the file's end, where the parse stopped.
  'syntax_eof.nix': [['syntax_eof.nix', 2, 9, 'error', 'Unexpected end of file']],
  'syntax_error.nix': [
    [
      'syntax_error.nix',
      3,
      7,
      'error',
      `Unexpected TOKEN_SEMICOLON at 17..18, wanted any of ${OLD_WANTED()}`,
    ],
    [
      'syntax_error.nix',
      4,
      1,
      'error',
      'Unexpected TOKEN_CURLY_B_CLOSE at 19..20, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_error.nix', 4, 2, 'error', 'Unexpected end of file, wanted any of [TOKEN_SEMICOLON]'],
    ['syntax_error.nix', 4, 2, 'error', 'Unexpected end of file'],
  ],
  'syntax_nonascii.nix': [
    [
      'syntax_nonascii.nix',
      1,
      19,
      'error',
      `Unexpected TOKEN_SEMICOLON at 26..27, wanted any of ${OLD_WANTED()}`,
    ],
    [
      'syntax_nonascii.nix',
      1,
      21,
      'error',
      'Unexpected TOKEN_CURLY_B_CLOSE at 28..29, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_nonascii.nix', 1, 22, 'error', 'Unexpected end of file, wanted any of [TOKEN_SEMICOLON]'],
    ['syntax_nonascii.nix', 1, 22, 'error', 'Unexpected end of file'],
  ],
  'syntax_tab.nix': [
    ['syntax_tab.nix', 3, 6, 'error', `Unexpected TOKEN_SEMICOLON at 15..16, wanted any of ${OLD_WANTED()}`],
    [
      'syntax_tab.nix',
      4,
      1,
      'error',
      'Unexpected TOKEN_CURLY_B_CLOSE at 17..18, wanted any of [TOKEN_SEMICOLON]',
    ],
    ['syntax_tab.nix', 4, 2, 'error', 'Unexpected end of file, wanted any of [TOKEN_SEMICOLON]'],
    ['syntax_tab.nix', 4, 2, 'error', 'Unexpected end of file'],
  ],
  'tabs.nix': [['tabs.nix', 5, 14, 'warning', 'Useless parentheses around value in binding']],
};

function OLD_WANTED(): string {
  return '[TOKEN_PAREN_OPEN, TOKEN_REC, TOKEN_CURLY_B_OPEN, TOKEN_SQUARE_B_OPEN, TOKEN_DYNAMIC_START, TOKEN_STRING_START, TOKEN_IDENT]';
}

/** The fork: W01 only between boolean literals, no W13; the newer token names. */
const STATIX_FORK: Record<string, Row[]> = {
  ...STATIX_058,
  'bool.nix': [['bool.nix', 5, 7, 'warning', 'Try `!=` instead of `!(... == ...)`']],
  'crlf.nix': [],
  'nonascii.nix': [['nonascii.nix', 2, 70, 'warning', 'Useless parentheses around value in binding']],
  'nonascii_ident.nix': [
    ['nonascii_ident.nix', 2, 62, 'warning', 'Useless parentheses around value in binding'],
    ['nonascii_ident.nix', 2, 23, 'error', 'Unexpected TOKEN_ERROR at 70..72, wanted any of [TOKEN_ASSIGN]'],
  ],
  'null_cmp.nix': [],
  ...Object.fromEntries(
    ['syntax_error.nix', 'syntax_nonascii.nix', 'syntax_tab.nix'].map((file) => [
      file,
      (STATIX_058[file] as Row[]).map(
        ([f, line, column, severity, message]): Row => [
          f,
          line,
          column,
          severity,
          message
            .replace(/wanted any of \[TOKEN_PAREN_OPEN.*\]$/, `wanted any of ${WANTED_EXPRESSION()}`)
            .replace('TOKEN_CURLY_B_CLOSE', 'TOKEN_R_BRACE'),
        ],
      ),
    ]),
  ),
};

describe.each([
  ['statix', STATIX_058],
  ['statix-fork', STATIX_FORK],
])('%s recordings', (folder, expected) => {
  it('every single-file JSON and errfmt run: each finding where a person sees it', async () => {
    for (const name of await cases(folder, /^(json|errfmt)-(?!dir|ignore|missing|badconfig)/)) {
      const stdout = await recorded(folder, name, 'stdout');
      const found = name.startsWith('json') ? parseStatixJson(stdout) : parseStatixErrfmt(stdout);
      expect(await located(found), `${folder}/${name}`).toEqual(expected[fileOf(name)] ?? []);
    }
  });

  it('the whole directory: the same findings, with ./ paths', async () => {
    const sorted = (list: Row[]) => [...list].sort((a, b) => `${a}`.localeCompare(`${b}`));
    const dir = parseStatixJson(await recorded(folder, 'json-dir', 'stdout'));
    expect(sorted(await located(dir))).toEqual(sorted(Object.values(expected).flat()));
  });

  it('names the rule with its code, and severities from the report', async () => {
    const found = parseStatixJson(await recorded(folder, 'json-inherit_from', 'stdout'));
    expect(found.map((finding) => finding.rule)).toEqual([
      'W04 manual_inherit_from',
      'W04 manual_inherit_from',
    ]);
    const syntax = parseStatixJson(await recorded(folder, 'json-syntax_eof', 'stdout'));
    expect(syntax.map((finding) => [finding.rule, finding.line, finding.offset])).toEqual([
      ['E00 syntax_error', undefined, 'end'],
    ]);
  });
});

const SYNTAX = {
  nonascii_ident: ['nonascii_ident.nix', 2, 23] as const,
  syntax_nonascii: ['syntax_nonascii.nix', 1, 19] as const,
  syntax_error: ['syntax_error.nix', 3, 7] as const,
  syntax_eof: ['syntax_eof.nix', 2, 9] as const,
  syntax_tab: ['syntax_tab.nix', 3, 6] as const,
};

describe('alejandra 4.0.0 recordings', () => {
  const read = async (name: string) => {
    const report = parseAlejandra(
      await recorded('alejandra', name, 'stdout'),
      await recorded('alejandra', name, 'stderr'),
    );
    const errors = await located(
      report.errors.map((error) => ({
        check: 'format',
        tool: 'alejandra',
        path: error.path,
        severity: 'error',
        rule: 'syntax',
        message: error.message,
        ...parseErrorOffset(error.message),
      })),
    );
    return { ...report, errors: errors.map(([file, line, column]) => [file, line, column]) };
  };

  it('every single-file check: unformatted or a parse error placed by its byte range', async () => {
    const unformatted = [
      'bool',
      'crlf',
      'inherit_from',
      'multiline',
      'nonascii',
      'null_cmp',
      'sub_skip',
      'tabs',
      'unformatted',
      'unused_let',
      'unused_pattern',
    ];
    for (const name of await cases('alejandra', /^check-(?!dir|missing|multi$|qq|quiet)/)) {
      const which = name.slice('check-'.length);
      const syntax = SYNTAX[which as keyof typeof SYNTAX];
      expect(await read(name), name).toEqual({
        unformatted: unformatted.includes(which) ? [fileOf(name)] : [],
        errors: syntax ? [[...syntax]] : [],
        checked: 1,
      });
    }
  });

  it('several files and a directory: parse errors with lines, and how many files it checked', async () => {
    expect(await read('check-multi')).toEqual({
      unformatted: ['unformatted.nix'],
      errors: [[...SYNTAX.syntax_error]],
      checked: 3,
    });
    const dir = await read('check-dir');
    expect(dir.checked).toBe(19);
    expect(dir.unformatted).toHaveLength(11);
    expect(dir.errors).toEqual(
      [
        SYNTAX.nonascii_ident,
        SYNTAX.syntax_nonascii,
        SYNTAX.syntax_error,
        SYNTAX.syntax_tab,
        SYNTAX.syntax_eof,
      ].map((row) => [...row]),
    );
  });

  it('a missing path: "Congratulations!", exit 0, and 0 files checked', async () => {
    expect(await recorded('alejandra', 'check-missing', 'exit')).toBe('0\n');
    expect(await read('check-missing')).toEqual({ unformatted: [], errors: [], checked: 0 });
  });
});

describe('nixfmt 1.4.0 recordings', () => {
  const read = async (name: string) => {
    const report = parseNixfmt(await recorded('nixfmt', name, 'stderr'));
    const errors = await located(
      report.errors.map((error) => ({
        check: 'format',
        tool: 'nixfmt',
        path: error.path,
        line: error.line,
        column: error.column,
        columns: 'tab-stops',
        severity: 'error',
        rule: 'syntax',
        message: error.message,
      })),
    );
    return { unformatted: report.unformatted, errors };
  };
  const EXPECTED = 'expecting expression';

  it('parse errors at the character column a person sees (a tab one character), end of file on the last line', async () => {
    expect((await read('check-syntax_tab')).errors).toEqual([
      ['syntax_tab.nix', 3, 6, 'error', `unexpected ";<newline>}<newline>"; ${EXPECTED}`],
    ]);
    expect((await read('check-syntax_nonascii')).errors).toEqual([
      ['syntax_nonascii.nix', 1, 19, 'error', `unexpected "; }<newline>"; ${EXPECTED}`],
    ]);
    expect((await read('check-syntax_error')).errors).toEqual([
      ['syntax_error.nix', 3, 7, 'error', `unexpected ";<newline>}<newline>"; ${EXPECTED}`],
    ]);
    expect((await read('check-syntax_eof')).errors).toEqual([
      ['syntax_eof.nix', 2, 9, 'error', `unexpected end of input; ${EXPECTED}`],
    ]);
  });

  it('every single-file check and --verify: unformatted files by name', async () => {
    const formatted = ['bool', 'null_cmp', 'sub_skip', 'unused_lambda', 'unused_let', 'unused_pattern'];
    for (const name of await cases('nixfmt', /^(verify-)?check-(?!dir|missing|multi|quiet)/)) {
      const which = name.replace(/^(verify-)?check-/, '');
      const report = await read(name);
      expect(report.unformatted, name).toEqual(
        formatted.includes(which) || (which in SYNTAX && which !== 'nonascii_ident')
          ? []
          : [fileOf(name.replace(/^verify-/, ''))],
      );
    }
  });

  it('the directory warning in yellow does not hide the findings', async () => {
    const dir = await read('check-dir');
    expect(dir.unformatted).toHaveLength(9);
    expect(dir.errors.map(([file, line, column]) => [file, line, column])).toEqual([
      ['syntax_eof.nix', 2, 9],
      ['syntax_nonascii.nix', 1, 19],
      ['syntax_tab.nix', 3, 6],
      ['syntax_error.nix', 3, 7],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseAlejandra } from '../../src/gate/tools/alejandra.js';
import { checkDeadnixArgs, deadnixArgs, parseDeadnixJson } from '../../src/gate/tools/deadnix.js';
import { parseNixfmt } from '../../src/gate/tools/nixfmt.js';
import { parseStatixErrfmt, parseStatixJson, splitConcatenatedJson } from '../../src/gate/tools/statix.js';
import { parseTreefmt } from '../../src/gate/tools/treefmt.js';

describe('deadnix JSON', () => {
  it('reads one compact object per line with byte columns', () => {
    const stdout =
      '{"file":"example.nix","results":[{"column":1,"endColumn":11,"line":1,"message":"Unused lambda pattern: unusedArgs"},{"column":14,"endColumn":23,"line":1,"message":"Unused lambda pattern: unusedArg"},{"column":22,"endColumn":36,"line":3,"message":"Unused let binding: unused_inherit"}]}\n' +
      '{"file":"./hosts/pi.nix","results":[{"column":5,"endColumn":6,"line":2,"message":"Unused lambda argument: x"},{"column":3,"endColumn":8,"line":9,"message":"Unused rec attrset: shade"}]}\n';
    const { findings, unreadable } = parseDeadnixJson(stdout);
    expect(unreadable).toEqual([]);
    expect(findings.map((f) => [f.path, f.line, f.column, f.endColumn, f.rule, f.severity])).toEqual([
      ['example.nix', 1, 1, 11, 'unused lambda pattern', 'warning'],
      ['example.nix', 1, 14, 23, 'unused lambda pattern', 'warning'],
      ['example.nix', 3, 22, 36, 'unused let binding', 'warning'],
      ['hosts/pi.nix', 2, 5, 6, 'unused lambda argument', 'warning'],
      ['hosts/pi.nix', 9, 3, 8, 'unused rec attrset', 'warning'],
    ]);
    expect(findings[2]?.message).toBe('Unused let binding: unused_inherit');
  });

  it('turns parse errors without a position into syntax errors, keeping byte ranges when given', () => {
    const stdout =
      '{"file":"bad.nix","results":[{"message":"unexpected end of file"}]}\n' +
      '{"file":"worse.nix","results":[{"message":"unexpected TOKEN_R_BRACE at 5..6, wanted any of [TOKEN_L_PAREN]"}]}\n';
    const { findings } = parseDeadnixJson(stdout);
    expect(findings).toEqual([
      expect.objectContaining({ path: 'bad.nix', severity: 'error', rule: 'syntax', offset: 'end' }),
      expect.objectContaining({
        path: 'worse.nix',
        severity: 'error',
        rule: 'syntax',
        offset: { start: 5, end: 6 },
      }),
    ]);
    expect(findings[0]?.line).toBeUndefined();
  });

  it('keeps what is not its JSON aside instead of guessing', () => {
    expect(parseDeadnixJson('Warning: Unused declarations were found.\n').unreadable).toHaveLength(1);
  });

  it('puts the user options before `--` and the paths after it', () => {
    expect(deadnixArgs(['--exclude', 'a.nix', 'b.nix', '-L'], ['x.nix'])).toEqual([
      '--output-format',
      'json',
      '--exclude',
      'a.nix',
      'b.nix',
      '-L',
      '--',
      'x.nix',
    ]);
  });

  it.each([['--edit'], ['-e'], ['-o', 'human-readable'], ['--output-format=json'], ['-lq'], ['--quiet']])(
    'refuses deadnix-args %s',
    (...args) => {
      expect(() => checkDeadnixArgs(args)).toThrow(/^Input 'deadnix-args' must not set/);
    },
  );

  it('accepts the usual deadnix-args', () => {
    expect(() =>
      checkDeadnixArgs(['--no-lambda-pattern-names', '--no-underscore', '-lL_', '-f', '-h']),
    ).not.toThrow();
  });
});

const STATIX_FORK = `{
  "file": "./a.nix",
  "report": [
    {
      "name": "manual_inherit",
      "note": "Assignment instead of inherit",
      "code": 3,
      "severity": "Warn",
      "diagnostics": [
        {
          "at": { "from": { "line": 1, "column": 17 }, "to": { "line": 1, "column": 23 } },
          "message": "This assignment is better written with \`inherit\`",
          "suggestion": { "at": { "from": { "line": 1, "column": 17 }, "to": { "line": 1, "column": 23 } }, "fix": "inherit a;" }
        }
      ]
    }
  ]
}
{
  "file": "./hosts/b.nix",
  "report": [
    {
      "name": "eta_reduction",
      "note": "This function expression is eta reducible",
      "code": 7,
      "severity": "Hint",
      "diagnostics": [
        {
          "at": { "from": { "line": 2, "column": 3 }, "to": { "line": 4, "column": 9 } },
          "message": "Found eta-reduction: \`f\`",
          "suggestion": null
        },
        {
          "at": { "from": { "line": 7, "column": 1 }, "to": { "line": 7, "column": 6 } },
          "message": "Found eta-reduction: \`g\`",
          "suggestion": null
        }
      ]
    },
    {
      "name": "syntax_error",
      "note": "Syntax error",
      "code": 0,
      "severity": "Error",
      "diagnostics": [
        { "at": { "from": { "line": 9, "column": 1 }, "to": { "line": 9, "column": 1 } }, "message": "Unexpected end of file", "suggestion": null }
      ]
    }
  ]
}
`;

describe('statix JSON', () => {
  it('splits concatenated pretty objects, braces inside strings included', () => {
    const { values, rest } = splitConcatenatedJson('{"a": "}{"}\n{"b": [1, {"c": "\\"}"}]}\n');
    expect(values).toEqual([{ a: '}{' }, { b: [1, { c: '"}' }] }]);
    expect(rest).toBe('');
  });

  it('reads the fork with rule names: every diagnostic, severities, multi-line spans and fixes', () => {
    const findings = parseStatixJson(STATIX_FORK);
    expect(
      findings.map((f) => [f.path, f.line, f.column, f.endLine, f.endColumn, f.severity, f.rule]),
    ).toEqual([
      ['a.nix', 1, 17, 1, 23, 'warning', 'W03 manual_inherit'],
      ['hosts/b.nix', 2, 3, 4, 9, 'notice', 'I07 eta_reduction'],
      ['hosts/b.nix', 7, 1, 7, 6, 'notice', 'I07 eta_reduction'],
      // statix's position for an end of file says nothing (the real one gives 1:1): it is the file's end.
      ['hosts/b.nix', undefined, undefined, undefined, undefined, 'error', 'E00 syntax_error'],
    ]);
    expect(findings[0]?.fix).toEqual({
      line: 1,
      column: 17,
      endLine: 1,
      endColumn: 23,
      replacement: 'inherit a;',
    });
    expect(findings[1]?.fix).toBeUndefined();
  });

  it('reads 0.5.8 without `name`, naming the rule from its code', () => {
    const original = STATIX_FORK.replace(/^\s*"name": "[a-z_]+",\n/gm, '');
    expect(original).not.toContain('"name"');
    expect(parseStatixJson(original).map((f) => f.rule)).toEqual([
      'W03 manual_inherit',
      'I07 eta_reduction',
      'I07 eta_reduction',
      'E00 syntax_error',
    ]);
  });

  it('reads a clean run as nothing and refuses text that is not its JSON', () => {
    expect(parseStatixJson('')).toEqual([]);
    expect(() => parseStatixJson('{"file": "a.nix", "report": []}\nconfig error: nope')).toThrow(
      /not its JSON/,
    );
  });
});

describe('statix errfmt', () => {
  it('reads 0.5.8 and the fork, syntax errors included', () => {
    const stdout = [
      './a.nix>1:17:W:3:This assignment is better written with `inherit`',
      './b.nix>1:17:W:3:[manual_inherit] This assignment is better written with `inherit`',
      './bad.nix>1:1:E:0:Unexpected end of file',
      './worse.nix>4:2:E:0:[syntax_error] Unexpected token',
      './weird>name.nix>2:5:I:7:[eta_reduction] Found eta-reduction: `f`',
    ].join('\n');
    expect(
      parseStatixErrfmt(stdout).map((f) => [f.path, f.line, f.column, f.severity, f.rule, f.message]),
    ).toEqual([
      ['a.nix', 1, 17, 'warning', 'W03 manual_inherit', 'This assignment is better written with `inherit`'],
      ['b.nix', 1, 17, 'warning', 'W03 manual_inherit', 'This assignment is better written with `inherit`'],
      ['bad.nix', undefined, undefined, 'error', 'E00 syntax_error', 'Unexpected end of file'],
      ['worse.nix', 4, 2, 'error', 'E00 syntax_error', 'Unexpected token'],
      ['weird>name.nix', 2, 5, 'notice', 'I07 eta_reduction', 'Found eta-reduction: `f`'],
    ]);
  });
});

describe('alejandra', () => {
  it('reads unformatted files from stdout and parse errors from stderr', () => {
    const report = parseAlejandra(
      'Requires formatting: ./x.nix\nRequires formatting: hosts/y.nix\n',
      'Checking style in 3 files using 2 threads.\n\nFailed! 1 error found at:\n- tests/inputs/error.nix: unexpected end of file\nAlert! 2 files require formatting.\n',
    );
    expect(report).toEqual({
      checked: 3,
      unformatted: ['x.nix', 'hosts/y.nix'],
      errors: [{ path: 'tests/inputs/error.nix', message: 'unexpected end of file' }],
    });
  });
});

describe('nixfmt', () => {
  it('reads `not formatted` lines and megaparsec parse errors', () => {
    const stderr = [
      'hosts/a.nix: not formatted',
      'bad.nix:1:1:',
      '  |',
      '1 | <empty line>',
      '  | ^',
      'unexpected end of input',
      'expecting expression',
      'b.nix: not formatted',
      '',
    ].join('\n');
    expect(parseNixfmt(stderr)).toEqual({
      unformatted: ['hosts/a.nix', 'b.nix'],
      errors: [
        { path: 'bad.nix', line: 1, column: 1, message: 'unexpected end of input; expecting expression' },
      ],
    });
  });
});

describe('treefmt', () => {
  const tail =
    'traversed 69 files\nemitted 55 files for processing\nformatted 55 files (2 changed) in 476ms\nError: unexpected changes detected, --fail-on-change is enabled\n';

  it('reads changed files from 2.x and 2.0.x logs', () => {
    const modern =
      'ERRO file has changed path=flake.nix prev_size=5670 prev_mod_time="2025-07-28 19:07:37 +0000 UTC" current_size=5676 current_mod_time="2025-07-28 19:07:38 +0000 UTC"\n';
    const legacy =
      'ERRO format: file has changed path="hosts/with space.nix" prev_size=1 prev_mod_time="x" current_size=2\n';
    expect(parseTreefmt(modern + legacy + tail)).toEqual({
      changed: ['flake.nix', 'hosts/with space.nix'],
      formatterFailed: false,
      errors: [],
    });
  });

  it('recognises a formatter failure', () => {
    const report = parseTreefmt(
      "ERRO formatter | nixfmt: failed to apply with options '[]': exit status 1\nError: formatting failures detected\n",
    );
    expect(report.formatterFailed).toBe(true);
    expect(report.errors).toEqual(["formatter | nixfmt: failed to apply with options '[]': exit status 1"]);
  });
});

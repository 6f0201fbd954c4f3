import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/gate/findings.js';
import {
  buildSuggestions,
  deadnixRemoval,
  diffHunks,
  statixEdit,
  suggestionBlock,
} from '../../src/gate/suggestions.js';

function reader(text: string) {
  const lines = text.split('\n');
  return (line: number) => lines[line - 1];
}

function unused(kind: string, name: string, text: string, line = 1): Finding {
  const source = text.split('\n')[line - 1] as string;
  const column = new RegExp(`(?<![A-Za-z0-9_'-])${name}(?![A-Za-z0-9_'-])`).exec(source)?.index ?? -1;
  return {
    check: 'deadnix',
    tool: 'deadnix',
    file: 'a.nix',
    line,
    column: column + 1,
    endLine: line,
    endColumn: column + 1 + name.length,
    severity: 'warning',
    rule: `unused ${kind}`,
    message: `Unused ${kind}: ${name}`,
  };
}

describe('deadnix removals', () => {
  it.each([
    ['a binding alone on its line', 'let binding', 'unused', '  unused = { a = 1; };', ''],
    [
      'a name in an inherit',
      'let binding',
      'bar',
      '  inherit (lib) foo bar baz;',
      '  inherit (lib) foo baz;',
    ],
    ['the last name in an inherit', 'let binding', 'baz', '  inherit foo baz;', '  inherit foo;'],
    ['the only name in an inherit', 'let binding', 'bar', '  inherit (lib) bar;', ''],
    ['a pattern name', 'lambda pattern', 'lib', '{ config, lib, pkgs, ... }:', '{ config, pkgs, ... }:'],
    [
      'a pattern name with a default',
      'lambda pattern',
      'lib',
      '{ config, lib ? null, pkgs }:',
      '{ config, pkgs }:',
    ],
    ['the last pattern name', 'lambda pattern', 'lib', '{ config, lib }:', '{ config }:'],
    ['a pattern name alone on its line', 'lambda pattern', 'lib', '  lib,', ''],
    ['args@', 'lambda pattern', 'args', 'args@{ a, ... }:', '{ a, ... }:'],
    ['@args', 'lambda pattern', 'args', '{ a, ... } @ args:', '{ a, ... }:'],
  ])('removes %s', (_what, kind, name, text, expected) => {
    const edit = deadnixRemoval(unused(kind, name, text), reader(text));
    expect(edit).toEqual({ startLine: 1, line: 1, text: expected });
  });

  it.each([
    ['a binding over several lines', 'let binding', 'unused', '  unused = {'],
    ['a lambda argument', 'lambda argument', 'x', 'f = x: 1;'],
    ['a finding whose column does not hold the name', 'let binding', 'other', '  unused = 1;'],
  ])('offers nothing for %s', (_what, kind, name, text) => {
    const finding = unused(kind, name, text);
    expect(
      deadnixRemoval({ ...finding, column: finding.column === 0 ? 3 : finding.column }, reader(text)),
    ).toBeUndefined();
  });
});

describe('statix fixes', () => {
  it('replaces the span within whole lines, over several lines too', () => {
    const text = '{\n  a = a;\n  b = (\n    x\n  );\n}';
    const fix = (
      line: number,
      column: number,
      endLine: number,
      endColumn: number,
      replacement: string,
    ): Finding => ({
      check: 'statix',
      tool: 'statix',
      file: 'a.nix',
      line,
      column,
      severity: 'warning',
      rule: 'W03 manual_inherit',
      message: 'm',
      fix: { line, column, endLine, endColumn, replacement },
    });
    expect(statixEdit(fix(2, 3, 2, 9, 'inherit a;'), reader(text))).toEqual({
      startLine: 2,
      line: 2,
      text: '  inherit a;',
    });
    expect(statixEdit(fix(3, 7, 5, 4, 'x'), reader(text))).toEqual({
      startLine: 3,
      line: 5,
      text: '  b = x;',
    });
  });
});

describe('suggestion blocks and diff hunks', () => {
  it('writes an empty block to delete lines, and a longer fence around backticks', () => {
    expect(suggestionBlock('')).toBe('```suggestion\n```');
    expect(suggestionBlock('a = "```";')).toBe('````suggestion\na = "```";\n````');
  });

  it('reads the right-hand ranges of each hunk', () => {
    const diff = [
      'diff --git a/hosts/a.nix b/hosts/a.nix',
      '--- a/hosts/a.nix',
      '+++ b/hosts/a.nix',
      '@@ -1,3 +1,4 @@',
      '@@ -20 +21,2 @@ in',
      'diff --git a/gone.nix b/gone.nix',
      '--- a/gone.nix',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
    ].join('\n');
    expect(diffHunks(diff)).toEqual(
      new Map([
        [
          'hosts/a.nix',
          [
            [1, 4],
            [21, 22],
          ],
        ],
      ]),
    );
  });

  it('keeps only suggestions inside the diff', () => {
    const text = '  unused = 1;\n  other = 2;';
    const findings = [unused('let binding', 'unused', text, 1), unused('let binding', 'other', text, 2)];
    const suggestions = buildSuggestions(
      findings,
      () => reader(text),
      new Map([['a.nix', [[2, 2]] as [number, number][]]]),
    );
    expect(suggestions.map((s) => [s.path, s.line, s.text])).toEqual([['a.nix', 2, '']]);
  });
});

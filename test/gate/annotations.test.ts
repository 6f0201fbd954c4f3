import { describe, expect, it } from 'vitest';
import { annotationCommand } from '../../src/core/annotations.js';
import { findingAnnotation } from '../../src/gate/annotations.js';
import type { Finding } from '../../src/gate/findings.js';
import { changedSpan } from '../../src/gate/format-diff.js';
import { PathGlobs } from '../../src/gate/globs.js';
import { SourceLines } from '../../src/gate/positions.js';

const base: Finding = {
  check: 'statix',
  tool: 'statix',
  file: 'hosts/a.nix',
  line: 3,
  column: 5,
  endLine: 3,
  endColumn: 11,
  severity: 'warning',
  rule: 'W03 manual_inherit',
  message: 'This assignment is better written with `inherit`',
};

describe('annotations', () => {
  it('carries file, line, col, endColumn and a title naming the rule', () => {
    expect(annotationCommand(findingAnnotation(base))).toBe(
      '::warning file=hosts/a.nix,line=3,col=5,endColumn=11,title=statix W03 manual_inherit::This assignment is better written with `inherit`',
    );
  });

  it('spells out statix fixes', () => {
    const fixed = {
      ...base,
      fix: { line: 3, column: 5, endLine: 3, endColumn: 11, replacement: 'inherit a;' },
    };
    expect(findingAnnotation(fixed).message).toBe(
      'This assignment is better written with `inherit`\nSuggested: inherit a;',
    );
  });

  it('drops columns from a span over several lines, which GitHub would refuse', () => {
    expect(findingAnnotation({ ...base, endLine: 5 })).toEqual({
      level: 'warning',
      file: 'hosts/a.nix',
      line: 3,
      endLine: 5,
      title: 'statix W03 manual_inherit',
      message: base.message,
    });
  });

  it('titles deadnix, format and flake-check findings by check; a finding without a line names the file only', () => {
    const deadnix = { ...base, check: 'deadnix' as const, tool: 'deadnix', rule: 'unused let binding' };
    expect(findingAnnotation(deadnix).title).toBe('deadnix');
    const format: Finding = {
      check: 'format',
      tool: 'nixfmt',
      file: 'a.nix',
      severity: 'error',
      rule: 'unformatted',
      message: 'x',
    };
    expect(findingAnnotation(format)).toEqual({
      level: 'error',
      file: 'a.nix',
      title: 'format',
      message: 'x',
    });
  });
});

describe('exclude globs', () => {
  it.each([
    ['hardware-configuration.nix', 'hosts/pi/hardware-configuration.nix', true],
    ['hardware-configuration.nix', 'hardware-configuration.nix', true],
    ['generated/**', 'generated/a/b.nix', true],
    ['generated/**', 'hosts/generated/a.nix', false],
    ['generated', 'hosts/generated/a.nix', true],
    ['/hosts/*.nix', 'hosts/a.nix', true],
    ['/hosts/*.nix', 'hosts/pi/a.nix', false],
    ['hosts/**/default.nix', 'hosts/default.nix', true],
    ['hosts/**/default.nix', 'hosts/pi/x/default.nix', true],
    ['*.{nix,toml}', 'a/b.toml', true],
    ['./modules/', 'modules/a.nix', true],
    ['[ab].nix', 'c.nix', false],
  ])('%s matches %s: %s', (glob, path, expected) => {
    expect(new PathGlobs([glob]).matches(path)).toBe(expected);
  });
});

describe('positions', () => {
  it('turns byte columns into character columns and byte offsets into positions', () => {
    const lines = SourceLines.fromText('a = "é";\n  ☃ = 1;\n');
    expect(lines.column(1, 8, 'bytes')).toBe(7);
    expect(lines.column(2, 6, 'bytes')).toBe(4);
    expect(lines.positionOf(12)).toEqual({ line: 2, column: 3 });
    expect(lines.positionOf(10_000)).toEqual({ line: 2, column: 11 });
  });

  it('finds the lines a formatter changed', () => {
    expect(changedSpan('a\nb  \nc\n', 'a\nb\nc\n')).toEqual({ line: 2, endLine: 2 });
    expect(changedSpan('a\nb\nc\n\n\n', 'a\nb\nc\n')).toEqual({ line: 4, endLine: 5 });
    expect(changedSpan('same\n', 'same\n')).toBeUndefined();
  });
});

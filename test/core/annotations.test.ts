import { describe, expect, it } from 'vitest';
import { annotationCommand, parseWorkflowCommand } from '../../src/core/annotations.js';

describe('annotation commands', () => {
  it('renders every property with the runner escaping', () => {
    expect(
      annotationCommand({
        level: 'warning',
        message: '50% done\nnext line',
        title: 'statix W03 manual_inherit',
        file: 'hosts/a,b.nix',
        line: 3,
        endLine: 3,
        column: 17,
        endColumn: 23,
      }),
    ).toBe(
      '::warning file=hosts/a%2Cb.nix,line=3,endLine=3,col=17,endColumn=23,title=statix W03 manual_inherit::50%25 done%0Anext line',
    );
  });

  it('renders a bare message', () => {
    expect(annotationCommand({ level: 'error', message: 'no flake.nix in ./fleet' })).toBe(
      '::error::no flake.nix in ./fleet',
    );
  });

  it('round-trips through the parser', () => {
    const annotation = {
      level: 'notice',
      message: 'a: b, c %',
      title: 'x:y',
      file: 'f.nix',
      line: 1,
    } as const;
    expect(parseWorkflowCommand(annotationCommand(annotation))).toEqual({
      command: 'notice',
      properties: { file: 'f.nix', line: '1', title: 'x:y' },
      message: 'a: b, c %',
    });
  });

  it('ignores plain log lines', () => {
    expect(parseWorkflowCommand('building /nix/store/abc.drv')).toBeUndefined();
    expect(parseWorkflowCommand(':: not a command')).toBeUndefined();
  });
});

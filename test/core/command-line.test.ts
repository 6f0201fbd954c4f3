import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../src/core/command-line.js';

describe('splitCommandLine', () => {
  it.each([
    ['cachix push homelab', ['cachix', 'push', 'homelab']],
    ['  attic   push  homelab:fleet ', ['attic', 'push', 'homelab:fleet']],
    [`/opt/bin/push --name 'my cache' "say \\"hi\\""`, ['/opt/bin/push', '--name', 'my cache', 'say "hi"']],
    ['push a\\ b x#y', ['push', 'a b', 'x#y']],
    ["push ''", ['push', '']],
  ])('%j → %j', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  it.each([
    ['cachix push homelab | tee log', '"|"'],
    ['cachix push $CACHE', '"$"'],
    ['push "$HOME"', '"$"'],
    ["push 'open", 'an unclosed single quote'],
    ['push "open', 'an unclosed double quote'],
    ['push *', '"*"'],
    ['', 'a program'],
  ])('refuses %j, naming %s', (line, what) => {
    const result = splitCommandLine(line);
    expect(Array.isArray(result)).toBe(false);
    expect((result as { invalid: string }).invalid).toContain(what);
  });
});

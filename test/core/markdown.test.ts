import { describe, expect, it } from 'vitest';
import {
  blocks,
  cell,
  codeBlock,
  details,
  formatBytes,
  formatDuration,
  table,
} from '../../src/core/markdown.js';

describe('markdown', () => {
  it('builds tables whose cells cannot break the row', () => {
    expect(
      table(
        ['host', 'size'],
        [
          ['home|server', 1024],
          ['pi\nzero', undefined],
        ],
        ['left', 'right'],
      ),
    ).toBe(['| host | size |', '| --- | ---: |', '| home\\|server | 1024 |', '| pi<br>zero |  |'].join('\n'));
  });

  it('escapes backslashes before pipes', () => {
    expect(cell('a\\|b')).toBe('a\\\\\\|b');
  });

  it('fences code with more backticks than it contains', () => {
    expect(codeBlock('use ``` here', 'nix')).toBe('````nix\nuse ``` here\n````');
  });

  it('collapses details and joins blocks', () => {
    expect(details('diff', 'body')).toBe('<details><summary>diff</summary>\n\nbody\n\n</details>');
    expect(blocks('a', undefined, false, '', 'b')).toBe('a\n\nb');
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [-5 * 1024 * 1024, '-5.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [250, '250 ms'],
    [2_500, '2.5 s'],
    [125_000, '2 min 5 s'],
    [7_380_000, '2 h 3 min'],
    [3 * 86_400_000 + 3_600_000, '3 d 1 h'],
  ])('formats %d ms as %s', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});

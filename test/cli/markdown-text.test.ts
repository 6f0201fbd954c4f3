import { describe, expect, it } from 'vitest';
import { inlineText, markdownToText } from '../../src/cli/markdown-text.js';
import { outputsJson } from '../../src/cli/present.js';
import { displayWidth, palette, renderColumns, truncate } from '../../src/cli/terminal.js';
import { blocks, codeBlock, details, heading, table } from '../../src/core/markdown.js';

const plain = palette(false);
const render = (markdown: string, width = 100) => markdownToText(markdown, { width, colours: plain });

describe('markdownToText', () => {
  it('lays a table out as aligned columns, cells unescaped and without markup', () => {
    const markdown = table(
      ['Host', 'Status', 'Output'],
      [
        ['`media`', '✅ built', '**5.8 KiB**'],
        ['alice@workstation', '❌ failed', 'a \\| b'],
      ],
    );
    expect(render(markdown)).toEqual([
      '  Host               Status     Output',
      '  media              ✅ built   5.8 KiB',
      '  alice@workstation  ❌ failed  a \\| b',
    ]);
  });

  it('cuts the widest column to fit the terminal', () => {
    const lines = render(table(['Host', 'Path'], [['pi', `/nix/store/${'a'.repeat(80)}`]]), 40);
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/^ {2}pi {4}\/nix\/store\/a+…$/);
  });

  it('shows headings, alerts and lists, and leaves Mermaid charts and comments out', () => {
    const markdown = blocks(
      '<!-- flakeflow-report -->',
      heading(2, '✅ Deploy: 4 deployed'),
      '> [!WARNING]\n> Rollout stopped: halted after pi failed.',
      '- one\n- two',
      codeBlock('gantt\n  dateFormat x', 'mermaid'),
      '<sub>flakeflow report for abc1234</sub>',
    );
    expect(render(markdown)).toEqual([
      '✅ Deploy: 4 deployed',
      '',
      '⚠ Rollout stopped: halted after pi failed.',
      '',
      '• one',
      '• two',
      '',
      'flakeflow report for abc1234',
    ]);
  });

  it('shortens a collapsed details block and keeps an open one whole', () => {
    const body = Array.from({ length: 10 }, (_, index) => `line ${index + 1}`).join('\n\n');
    const collapsed = render(details('Evaluation errors', body));
    expect(collapsed[0]).toBe('▸ Evaluation errors');
    expect(collapsed).toContain('  line 1');
    expect(collapsed).not.toContain('  line 10');
    expect(collapsed.at(-1)).toMatch(/… \d+ more lines/);
    const open = render(details('All', body, true));
    expect(open).toContain('  line 10');
  });
});

describe('inlineText', () => {
  it('drops links, tags and escapes but keeps their text', () => {
    expect(inlineText('[abc1234](https://github.com/x) by **bob**<br>`ok` &amp; done')).toBe(
      'abc1234 by bob ok & done',
    );
  });
});

describe('terminal widths', () => {
  it('counts emoji as two columns and colour codes as none', () => {
    expect(displayWidth('✅ ok')).toBe(5);
    expect(displayWidth('⚠️')).toBe(2);
    expect(displayWidth('\u001b[31mred\u001b[0m')).toBe(3);
    expect(truncate('abcdefgh', 5)).toBe('abcd…');
  });

  it('colours status cells only when asked to', () => {
    const colours = palette(true);
    const lines = renderColumns(
      { header: ['a'], rows: [['✅ built']], paintCell: (text) => colours.green(text) },
      80,
      colours,
    );
    expect(lines[1]).toBe(`  ${colours.green('✅ built')}`);
  });
});

describe('outputsJson', () => {
  it('embeds JSON outputs and keeps the rest as the strings the action set', () => {
    expect(
      outputsJson({ matrix: '{"include":[]}', count: '6', empty: 'false', note: '[not json' }, [
        'matrix',
        'count',
        'empty',
        'note',
        'missing',
      ]),
    ).toEqual({ matrix: { include: [] }, count: '6', empty: 'false', note: '[not json' });
  });
});

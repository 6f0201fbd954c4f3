import { describe, expect, it } from 'vitest';
import { htmlPage, inlineHtml, markdownToHtml } from '../../src/cli/report-html.js';
import { blocks, details, table } from '../../src/core/markdown.js';

describe('markdownToHtml', () => {
  it('renders tables with their alignment and escaped cells', () => {
    const html = markdownToHtml(
      table(
        ['Host', 'Closure'],
        [
          ['`pi`', '6.0 KiB'],
          ['a | b', '<b>x</b>'],
        ],
        ['left', 'right'],
      ),
    );
    expect(html).toBe(
      '<table><thead><tr><th>Host</th><th style="text-align:right">Closure</th></tr></thead><tbody>' +
        '<tr><td><code>pi</code></td><td style="text-align:right">6.0 KiB</td></tr>' +
        '<tr><td>a | b</td><td style="text-align:right"><b>x</b></td></tr></tbody></table>',
    );
  });

  it('keeps details and summary, turns alerts into callouts and rules into <hr>', () => {
    const html = markdownToHtml(
      blocks(
        details('Inputs', '- one\n- two'),
        '> [!WARNING]\n> Rollout stopped.',
        '---',
        '<sub>made by flakeflow</sub>',
      ),
    );
    expect(html).toContain('<details><summary>Inputs</summary>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain(
      '<div class="alert alert-warning"><p class="alert-title">Warning</p><p>Rollout stopped.</p></div>',
    );
    expect(html).toContain('<hr>');
    expect(html).toContain('<p><sub>made by flakeflow</sub></p>');
  });

  it('escapes any other HTML, in text and in code', () => {
    const html = markdownToHtml(
      '<script>alert(1)</script> and `<img src=x onerror=alert(1)>`\n\n```\n</pre><script>\n```',
    );
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<pre><code>&lt;/pre&gt;&lt;script&gt;</code></pre>');
  });

  it('links only http(s) and relative URLs', () => {
    expect(inlineHtml('[diff](https://github.com/a/b/compare/x...y)')).toBe(
      '<a href="https://github.com/a/b/compare/x...y">diff</a>',
    );
    expect(inlineHtml('[click](javascript:alert(1))')).not.toContain('href');
  });

  it('keeps Mermaid charts as their source, folded away', () => {
    expect(markdownToHtml('```mermaid\ngantt\n```')).toBe(
      '<details><summary>Chart (Mermaid source)</summary><pre><code>gantt</code></pre></details>',
    );
  });
});

describe('htmlPage', () => {
  it('is one page with its style inline', () => {
    const page = htmlPage('Report <1>', '# Hi', 'footer');
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<title>Report &lt;1&gt;</title>');
    expect(page).toContain('<style>');
    expect(page).toContain('<h1 id="hi">Hi</h1>');
  });
});

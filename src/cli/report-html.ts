/**
 * The demo report as one self-contained HTML page: the markdown flakeflow writes for GitHub (tables,
 * details, alerts, code) turned into HTML with inline CSS and no external assets. Raw HTML is escaped
 * except the few tags summaries use (details, summary, sub, br, code, b, strong, em).
 */

const ALLOWED_TAG = /<\/?(?:details|summary|sub|sup|br|b|strong|em|code|kbd)(?:\s+open)?\s*\/?>/gi;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function safeUrl(url: string): string | undefined {
  return /^(https?:\/\/|#|\.{0,2}\/)/.test(url) ? url : undefined;
}

/** Escapes text but the allowed tags, then renders inline markdown. */
export function inlineHtml(text: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const match of text.matchAll(ALLOWED_TAG)) {
    parts.push(inlineMarkdown(text.slice(last, match.index)), match[0].toLowerCase());
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(inlineMarkdown(text.slice(last)));
  return parts.join('');
}

function inlineMarkdown(text: string): string {
  // Code spans first, so their content is never read as markdown.
  const codes: string[] = [];
  const withoutCode = text.replace(/`([^`]+)`/g, (_, code: string) => {
    codes.push(`<code>${escapeHtml(code)}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  return escapeHtml(withoutCode.replace(/\\([\\|*_`[\]])/g, '$1'))
    .replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, url: string) => {
      const href = safeUrl(url.replace(/&amp;/g, '&'));
      return href ? `<a href="${escapeHtml(href)}">${label}</a>` : whole;
    })
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,])/g, '$1<em>$2</em>')
    .replace(/\u0000(\d+)\u0000/g, (_, index: string) => codes[Number(index)] ?? '');
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

function alignments(rule: string): string[] {
  return cells(rule).map((cell) =>
    cell.startsWith(':') && cell.endsWith(':') ? 'center' : cell.endsWith(':') ? 'right' : 'left',
  );
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');
}

const ALERT_TITLES: Record<string, string> = {
  NOTE: 'Note',
  TIP: 'Tip',
  IMPORTANT: 'Important',
  WARNING: 'Warning',
  CAUTION: 'Caution',
};

/** The markdown as HTML body content. */
export function markdownToHtml(markdown: string): string {
  const lines = markdown.replace(/<!--[\s\S]*?-->/g, '').split(/\r?\n/);
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${paragraph.map(inlineHtml).join('\n')}</p>`);
    paragraph = [];
  };

  for (let index = 0; index < lines.length; index += 1) {
    const raw = lines[index] as string;
    const line = raw.trim();

    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] as string).trim().startsWith(fence[1] as string)) {
        body.push(lines[index] as string);
        index += 1;
      }
      const code = `<pre><code>${escapeHtml(body.join('\n'))}</code></pre>`;
      out.push(
        fence[2] === 'mermaid' ? `<details><summary>Chart (Mermaid source)</summary>${code}</details>` : code,
      );
      continue;
    }

    if (line.startsWith('|') && /^\|?\s*:?-{3,}/.test((lines[index + 1] ?? '').trim())) {
      flush();
      const header = cells(line);
      const align = alignments(lines[index + 1] as string);
      const style = (column: number) =>
        align[column] && align[column] !== 'left' ? ` style="text-align:${align[column]}"` : '';
      const rows: string[] = [];
      index += 2;
      while (index < lines.length && (lines[index] as string).trim().startsWith('|')) {
        const row = cells(lines[index] as string);
        rows.push(
          `<tr>${row.map((cell, column) => `<td${style(column)}>${inlineHtml(cell)}</td>`).join('')}</tr>`,
        );
        index += 1;
      }
      index -= 1;
      out.push(
        `<table><thead><tr>${header.map((cell, column) => `<th${style(column)}>${inlineHtml(cell)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
      );
      continue;
    }

    if (/^(<\/?(details|summary)(\s+open)?\s*>|<summary>.*<\/summary>)+$/i.test(line)) {
      flush();
      out.push(inlineHtml(line));
      continue;
    }

    if (/^(-{3,}|\*{3,}|_{3,})$/.test(line)) {
      flush();
      out.push('<hr>');
      continue;
    }

    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = (heading[1] as string).length;
      const text = heading[2] as string;
      out.push(`<h${level} id="${escapeHtml(slug(text))}">${inlineHtml(text)}</h${level}>`);
      continue;
    }

    if (line.startsWith('>')) {
      flush();
      const quoted: string[] = [];
      while (index < lines.length && (lines[index] as string).trim().startsWith('>')) {
        quoted.push((lines[index] as string).trim().replace(/^>\s?/, ''));
        index += 1;
      }
      index -= 1;
      const kind = /^\[!(\w+)\]$/.exec(quoted[0] ?? '')?.[1]?.toUpperCase();
      const body = (kind ? quoted.slice(1) : quoted).map(inlineHtml).join('<br>\n');
      out.push(
        kind
          ? `<div class="alert alert-${kind.toLowerCase()}"><p class="alert-title">${ALERT_TITLES[kind] ?? kind}</p><p>${body}</p></div>`
          : `<blockquote><p>${body}</p></blockquote>`,
      );
      continue;
    }

    const item = /^(?:[-*+]|(\d+)\.)\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const ordered = item[1] !== undefined;
      const items: string[] = [];
      while (index < lines.length) {
        const next = /^(?:[-*+]|\d+\.)\s+(.*)$/.exec((lines[index] as string).trim());
        if (!next) break;
        items.push(`<li>${inlineHtml(next[1] as string)}</li>`);
        index += 1;
      }
      index -= 1;
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }

    if (line === '') {
      flush();
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return out.join('\n');
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --border: #d1d9e0;
  --soft: #f6f8fa; --accent: #0969da; --warn: #9a6700; --bad: #d1242f; --good: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #f0f6fc; --bg: #0d1117; --muted: #9198a1;
  --border: #3d444d; --soft: #151b23; --accent: #4493f8; --warn: #d29922; --bad: #f85149; --good: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1012px; margin: 0 auto; padding: 24px 16px 64px; }
h1 { font-size: 1.9em; border-bottom: 1px solid var(--border); padding-bottom: .3em; }
h2 { font-size: 1.45em; border-bottom: 1px solid var(--border); padding-bottom: .3em; margin-top: 2em; }
h3 { font-size: 1.2em; margin-top: 1.5em; } h4 { font-size: 1em; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%; margin: 12px 0; }
th, td { border: 1px solid var(--border); padding: 6px 12px; vertical-align: top; }
th { background: var(--soft); font-weight: 600; text-align: left; }
tr:nth-child(2n) td { background: var(--soft); }
code { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
  padding: .15em .35em; border-radius: 6px; }
pre { background: var(--soft); padding: 12px 16px; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
details > :not(summary) { margin-left: 1em; }
blockquote { margin: 0; padding: 0 1em; color: var(--muted); border-left: .25em solid var(--border); }
.alert { padding: 8px 16px; margin: 12px 0; border-left: .25em solid var(--accent); }
.alert-title { font-weight: 600; margin: 0 0 4px; color: var(--accent); }
.alert-warning { border-color: var(--warn); } .alert-warning .alert-title { color: var(--warn); }
.alert-caution, .alert-important { border-color: var(--bad); }
.alert-caution .alert-title, .alert-important .alert-title { color: var(--bad); }
sub { color: var(--muted); }
hr { border: 0; border-top: 1px solid var(--border); margin: 24px 0; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; }
`;

/** A complete page: title, inline CSS, the markdown rendered. */
export function htmlPage(title: string, markdown: string, footer: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    markdownToHtml(markdown),
    `<footer>${escapeHtml(footer)}</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

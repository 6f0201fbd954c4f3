import { type Palette, paintStatus, renderColumns } from './terminal.js';

/**
 * The job summaries and PR bodies the actions write, as terminal text: headings bold, tables as
 * aligned columns, collapsed details shortened, alerts marked, Mermaid charts left out. It reads
 * the markdown flakeflow itself writes, not every markdown there is.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** Inline markdown to plain text; `colours` styles bold and code when given. */
export function inlineText(text: string, colours?: Palette): string {
  const bold = colours?.bold ?? ((value: string) => value);
  const code = colours?.cyan ?? ((value: string) => value);
  const dim = colours?.dim ?? ((value: string) => value);
  const rendered = text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<sub>([\s\S]*?)<\/sub>/gi, (_, inner: string) => dim(inner))
    .replace(/<[^>]+>/g, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]+)`/g, (_, inner: string) => code(inner))
    .replace(/\*\*([^*]+)\*\*/g, (_, inner: string) => bold(inner))
    .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,])/g, '$1$2')
    .replace(/\\([\\|*_`[\]])/g, '$1');
  return decodeEntities(rendered);
}

/** A table row's cells, with `\|` kept inside a cell. */
function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let current = '';
  for (let index = 0; index < inner.length; index += 1) {
    const char = inner[index] as string;
    if (char === '\\' && inner[index + 1] === '|') {
      current += '\\|';
      index += 1;
    } else if (char === '|') {
      cells.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  cells.push(current.trim());
  return cells;
}

const ALERTS: Record<string, string> = {
  NOTE: 'ℹ',
  TIP: 'ℹ',
  IMPORTANT: '!',
  WARNING: '⚠',
  CAUTION: '!',
};

export interface MarkdownTextOptions {
  width: number;
  colours: Palette;
  /** Lines of a collapsed `<details>` shown before the rest is elided. */
  detailsLines?: number;
}

export function markdownToText(markdown: string, options: MarkdownTextOptions): string[] {
  const { colours, width } = options;
  const detailsLines = options.detailsLines ?? 6;
  const source = markdown.replace(/<!--[\s\S]*?-->/g, '').split(/\r?\n/);
  const out: string[] = [];
  /** Open `<details>`: where its lines start in `out`, and whether it was open. */
  const openDetails: { start: number; open: boolean }[] = [];
  const indent = () => '  '.repeat(openDetails.length);
  const push = (line: string) => out.push(line === '' ? '' : `${indent()}${line}`);
  let alert: string | undefined;

  for (let index = 0; index < source.length; index += 1) {
    const raw = source[index] as string;
    const line = raw.trim();

    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      const closing = fence[1] as string;
      const body: string[] = [];
      index += 1;
      while (index < source.length && !(source[index] as string).trim().startsWith(closing)) {
        body.push(source[index] as string);
        index += 1;
      }
      if (fence[2] !== 'mermaid') for (const text of body) push(colours.dim(`    ${text}`));
      continue;
    }

    if (line.startsWith('|') && /^\|?\s*:?-{3,}/.test((source[index + 1] ?? '').trim())) {
      const header = tableCells(line).map((cell) => inlineText(cell));
      const rows: string[][] = [];
      index += 2;
      while (index < source.length && (source[index] as string).trim().startsWith('|')) {
        rows.push(tableCells(source[index] as string).map((cell) => inlineText(cell)));
        index += 1;
      }
      index -= 1;
      const paint = paintStatus(colours);
      for (const text of renderColumns(
        { header, rows, paintCell: (text) => paint(text) },
        width - indent().length,
        colours,
      )) {
        push(text);
      }
      continue;
    }

    const detailsOpen = /^<details(\s+open)?\s*>/i.exec(line);
    if (detailsOpen) {
      const summary = /<summary>([\s\S]*?)<\/summary>/i.exec(line);
      push(`${colours.cyan('▸')} ${inlineText(summary?.[1] ?? 'Details', colours)}`);
      openDetails.push({ start: out.length, open: detailsOpen[1] !== undefined });
      continue;
    }
    const summaryOnly = /^<summary>([\s\S]*?)<\/summary>$/i.exec(line);
    if (summaryOnly && openDetails.length > 0) {
      out[out.length - 1] =
        `${'  '.repeat(openDetails.length - 1)}${colours.cyan('▸')} ${inlineText(summaryOnly[1] as string, colours)}`;
      continue;
    }
    if (/^<\/details>/i.test(line)) {
      const details = openDetails.pop();
      if (details && !details.open) {
        const body = out.slice(details.start).filter((text, at, all) => text !== '' || all[at - 1] !== '');
        const kept = body.slice(0, detailsLines);
        const hidden = body.filter((text) => text.trim() !== '').length - kept.filter((t) => t.trim()).length;
        out.splice(details.start, out.length - details.start, ...kept);
        if (hidden > 0) push(`  ${colours.dim(`… ${hidden} more line${hidden === 1 ? '' : 's'}`)}`);
      }
      continue;
    }

    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) {
      const content = quote[1] as string;
      const kind = /^\[!(\w+)\]$/.exec(content.trim());
      if (kind) {
        alert = kind[1]?.toUpperCase();
        continue;
      }
      const mark = alert ? (ALERTS[alert] ?? '!') : '│';
      const paint = alert === 'WARNING' ? colours.yellow : alert ? colours.red : colours.dim;
      if (alert === 'NOTE' || alert === 'TIP') push(`${mark} ${inlineText(content, colours)}`);
      else push(`${paint(mark)} ${inlineText(content, colours)}`);
      continue;
    }
    alert = undefined;

    if (/^(-{3,}|\*{3,}|_{3,})$/.test(line)) {
      push(colours.dim('─'.repeat(Math.min(40, width))));
      continue;
    }

    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      if (out.length > 0 && out[out.length - 1] !== '') push('');
      const text = inlineText(heading[2] as string);
      push(colours.bold(text));
      continue;
    }

    const item = /^(\s*)(?:[-*+]|\d+\.)\s+(.*)$/.exec(raw);
    if (item) {
      const depth = Math.floor((item[1] as string).length / 2);
      push(`${'  '.repeat(depth)}• ${inlineText(item[2] as string, colours)}`);
      continue;
    }

    if (line === '') {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      continue;
    }
    push(inlineText(line, colours));
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

import { comparisonNote, formatDelta } from '../build/summary.js';
import { formatBytes, table } from '../core/markdown.js';
import type { ReportRow, ReportStatus } from './rows.js';

export const REPORT_ICONS: Record<ReportStatus, string> = {
  built: '✅',
  failed: '❌',
  unchanged: '⚪',
  cached: '📦',
  'eval-only': '🔍',
  skipped: '⏭️',
};

/** A collapsed block whose body lines may be cut, the longest first, to fit GitHub's limits. */
interface Section {
  summary: string;
  head: string[];
  lines: string[];
  tail: string[];
  kept: number;
  /** What is said where lines were cut. */
  cutNote: (dropped: number) => string;
}

export interface ReportMarkdownOptions {
  /** The most characters the markdown may have. */
  limit: number;
  /** A hidden first line that finds the comment again. */
  marker?: string;
  footer?: string;
}

function counts(rows: readonly ReportRow[]): string {
  const order: ReportStatus[] = ['failed', 'built', 'eval-only', 'unchanged', 'cached', 'skipped'];
  return order
    .map((status) => [status, rows.filter((row) => row.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${REPORT_ICONS[status]} ${count} ${status}`)
    .join(' · ');
}

function fence(text: string): [string, string] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return [marks, marks];
}

function sectionsOf(rows: readonly ReportRow[]): Section[] {
  const sections: Section[] = [];
  for (const row of rows) {
    if (row.status === 'failed' && row.error) {
      const [open, close] = fence(row.error);
      sections.push({
        summary: `❌ <code>${row.host}</code>: ${row.note}`,
        head: [open],
        lines: row.error.split('\n'),
        tail: [close],
        kept: Number.POSITIVE_INFINITY,
        cutNote: (dropped) => `… ${dropped} more lines in the job's log`,
      });
    }
    const comparison = row.comparison;
    if (comparison?.status === 'compared' && comparison.changes.length > 0) {
      const rendered = table(
        ['Package', 'Before', 'After', 'Size'],
        comparison.changes.map((change) => {
          const sizeOnly = change.before.length === 0 && change.after.length === 0;
          const versions = (list: readonly string[]) =>
            list.length === 0 ? '∅' : list.map((v) => v || 'ε').join(', ');
          return [
            change.name,
            sizeOnly ? '' : versions(change.before),
            sizeOnly ? '' : versions(change.after),
            formatDelta(change.sizeDelta),
          ];
        }),
        ['left', 'left', 'left', 'right'],
      ).split('\n');
      sections.push({
        summary: `<code>${row.host}</code>: ${comparisonNote(comparison)} since <code>${comparison.revision}</code>`,
        head: rendered.slice(0, 2),
        lines: rendered.slice(2),
        tail: [],
        kept: Number.POSITIVE_INFINITY,
        cutNote: (dropped) =>
          `… and ${dropped} more package${dropped === 1 ? '' : 's'}: see the build job's summary`,
      });
    }
  }
  return sections;
}

function renderSection(section: Section): string {
  const kept = Math.min(section.kept, section.lines.length);
  const dropped = section.lines.length - kept;
  const body = [...section.head, ...section.lines.slice(0, kept), ...section.tail];
  if (dropped > 0) body.push('', `_${section.cutNote(dropped)}_`);
  return `<details><summary>${section.summary}</summary>\n\n${body.join('\n')}\n\n</details>`;
}

function hostTable(rows: readonly ReportRow[]): string {
  return table(
    ['Host', 'System', 'Status', 'Closure', 'Δ', 'Notes'],
    rows.map((row) => [
      `\`${row.host}\``,
      row.system ?? '',
      `${REPORT_ICONS[row.status]} ${row.status}`,
      row.closureSize !== undefined ? formatBytes(row.closureSize) : '',
      formatDelta(row.comparison?.delta),
      row.comparison ? comparisonNote(row.comparison) : row.note,
    ]),
    ['left', 'left', 'left', 'right', 'right', 'left'],
  );
}

/**
 * The report as markdown within `limit` characters: the table of every host, then each host's diff
 * or error collapsed; when too long, the longest of those are cut first.
 */
export function renderReport(rows: readonly ReportRow[], options: ReportMarkdownOptions): string {
  const failed = rows.some((row) => row.status === 'failed');
  const title = `### ${failed ? '❌' : '✅'} Fleet build: ${rows.length} host${rows.length === 1 ? '' : 's'}`;
  const top = [
    ...(options.marker ? [options.marker] : []),
    title,
    '',
    rows.length > 0 ? `**${counts(rows)}**` : '_No hosts: nothing was listed or built._',
    '',
    rows.length > 0 ? hostTable(rows) : '',
  ].join('\n');
  const sections = sectionsOf(rows);
  const render = () =>
    [top, ...sections.map(renderSection), options.footer ?? '']
      .filter((part) => part.length > 0)
      .join('\n\n');

  let text = render();
  while (text.length > options.limit) {
    const sizes = sections.map((section) =>
      section.lines
        .slice(0, Math.min(section.kept, section.lines.length))
        .reduce((sum, line) => sum + line.length + 1, 0),
    );
    const longest = sizes.indexOf(Math.max(...sizes, 0));
    const section = sections[longest];
    if (!section || (sizes[longest] ?? 0) === 0) break;
    const secondLongest = Math.max(0, ...sizes.filter((_, index) => index !== longest));
    let budget = Math.max(
      1,
      Math.min(text.length - options.limit + 80, (sizes[longest] ?? 0) - secondLongest),
    );
    let kept = Math.min(section.kept, section.lines.length);
    while (kept > 0 && budget > 0) {
      kept -= 1;
      budget -= (section.lines[kept]?.length ?? 0) + 1;
    }
    section.kept = kept;
    text = render();
  }
  if (text.length > options.limit) {
    const note = `\n\n_The report was cut at ${options.limit} characters: the job summary has all of it._`;
    text = text.slice(0, options.limit - note.length) + note;
  }
  return text;
}

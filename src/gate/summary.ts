import { blocks, cell, formatDuration, table } from '../core/markdown.js';
import { annotationMessage, annotationTitle } from './annotations.js';
import { countBySeverity, describeCounts, type Finding, SEVERITIES, type Severity } from './findings.js';
import type { GateResult, SyntaxReport } from './result.js';

/** Where a finding's line can be opened: the repository at the commit that was checked. */
export interface SourceLinks {
  serverUrl: string;
  repository?: string;
  sha?: string;
}

const ICON: Record<Severity, string> = { error: '❌', warning: '⚠️', notice: 'ℹ️' };
/** A job summary may hold 1 MiB; findings beyond this budget are left to the JSON report. */
const SUMMARY_BUDGET = 900_000;
const MESSAGE_LIMIT = 500;

export function lineUrl(links: SourceLinks, finding: Finding): string | undefined {
  if (!links.repository || !links.sha) return undefined;
  const path = finding.file.split('/').map(encodeURIComponent).join('/');
  const base = `${links.serverUrl.replace(/\/+$/, '')}/${links.repository}/blob/${links.sha}/${path}`;
  if (finding.line === undefined) return base;
  const end = finding.endLine !== undefined && finding.endLine > finding.line ? `-L${finding.endLine}` : '';
  return `${base}#L${finding.line}${end}`;
}

function scopeText(result: GateResult): string {
  const where = result.prefix ? ` in \`${result.prefix}/\`` : '';
  const count = `${result.scope.files.length} .nix file${result.scope.files.length === 1 ? '' : 's'}`;
  if (result.scope.mode === 'all') return `${count}${where}`;
  const base = result.scope.base ? ` against \`${result.scope.base.commit.slice(0, 7)}\`` : '';
  return `${count}${where} changed${base}`;
}

function checksText(result: GateResult): string {
  return result.checks
    .map((check) => (check.check === check.tool ? check.check : `${check.check} (${check.tool})`))
    .join(', ');
}

/** GitHub shows at most this many workflow-command annotations of each level in a step. */
export const ANNOTATIONS_SHOWN_PER_LEVEL = 10;
/** Files named in a summary line before "and N more". */
const FILES_NAMED = 20;

export interface SummaryOptions {
  /** Whether the step annotates each finding with a workflow command (the `annotations` input). */
  annotated?: boolean;
}

/**
 * The job summary: a one-line verdict when clean; otherwise the counts per check and severity,
 * why any check could not run, what the annotations leave out, and every finding grouped by file
 * with a link to its line.
 */
export function renderSummary(result: GateResult, links: SourceLinks, options: SummaryOptions = {}): string {
  const counts = countBySeverity(result.findings);
  if (result.findings.length === 0 && result.failures.length === 0) {
    const skippedAll = result.checks.length > 0 && result.checks.every((check) => check.skipped);
    const what = skippedAll
      ? `nothing to check in ${scopeText(result)}`
      : `no findings in ${scopeText(result)}`;
    return `✅ **flakeflow gate** passed: ${what} (${checksText(result)}).\n`;
  }
  const verdict = result.passed ? '✅ flakeflow gate passed' : '❌ flakeflow gate failed';
  const headline = `### ${verdict} · ${describeCounts(counts)}`;
  const context = `Checked ${scopeText(result)} · fail-on: \`${result.failOn}\``;
  const failures = result.failures
    .map((failure) => `❌ **${failure.check}** did not run: ${cell(failure.reason)}`)
    .join('  \n');
  const header = ['check', 'tool', ...SEVERITIES.map((severity) => ICON[severity]), 'time'];
  const rows = result.checks.map((check) => [
    check.check,
    check.tool,
    ...SEVERITIES.map((severity) =>
      check.failures.length > 0 && check.counts[severity] === 0 ? '–' : check.counts[severity],
    ),
    check.failures.length > 0
      ? '❌ failed'
      : check.skipped
        ? `skipped: ${check.skipped}`
        : formatDuration(check.durationMs),
  ]);
  const countsTable = table(header, rows, ['left', 'left', 'right', 'right', 'right', 'right']);
  return `${blocks(
    headline,
    context,
    failures,
    countsTable,
    leftOutText(result, options),
    publicationText(result),
    renderFindings(result.findings, links),
  )}\n`;
}

/** What a reader of the annotations alone would miss: hidden annotations, folded syntax errors, unplaced files. */
function leftOutText(result: GateResult, options: SummaryOptions): string {
  const lines: string[] = [];
  const counts = countBySeverity(result.findings);
  const hidden = SEVERITIES.filter((severity) => counts[severity] > ANNOTATIONS_SHOWN_PER_LEVEL);
  if (options.annotated && hidden.length > 0) {
    const where = result.publication.checkRun?.url
      ? `the table below and the [check run](${result.publication.checkRun.url})`
      : 'the table below';
    const parts = hidden.map(
      (severity) => `${counts[severity] - ANNOTATIONS_SHOWN_PER_LEVEL} of ${counts[severity]} ${severity}s`,
    );
    lines.push(
      `🔕 GitHub shows ${ANNOTATIONS_SHOWN_PER_LEVEL} annotations of each level per step: ${joinWords(parts)} ` +
        `are not annotated on the files; ${where} list${where === 'the table below' ? 's' : ''} every one.`,
    );
  }
  if (result.folded.length > 0) {
    const total = result.folded.reduce((sum, file) => sum + file.folded.length, 0);
    const header =
      `🧩 ${total} more report${total === 1 ? '' : 's'} of the same syntax error${result.folded.length === 1 ? '' : 's'} ` +
      `folded into one annotation per file:`;
    const files = result.folded.map(
      (file) =>
        `- \`${cell(file.file)}\`: annotated ${describeReport(file.kept)}; folded: ${groupReports(file.folded).join('; ')}`,
    );
    lines.push([header, ...files].join('\n'));
  }
  const whole = result.findings.filter(
    (finding) => finding.rule === 'unformatted' && finding.line === undefined,
  );
  if (whole.length > 0) {
    const tools = [...new Set(whole.map((finding) => finding.tool))];
    const named = whole.slice(0, FILES_NAMED).map((finding) => `\`${cell(finding.file)}\``);
    const more = whole.length > FILES_NAMED ? ` and ${whole.length - FILES_NAMED} more` : '';
    lines.push(
      `📄 Changed lines not computed for ${whole.length} unformatted file${whole.length === 1 ? '' : 's'} ` +
        `(${joinWords(tools)} checks without saying which lines it would change), annotated as a whole: ${named.join(', ')}${more}.`,
    );
  }
  return lines.join('  \n').replace(/ {2}\n- /g, '\n- ');
}

function describeReport(report: SyntaxReport): string {
  const position = report.line === undefined ? 'without a position' : `at ${positionText(report)}`;
  return `${position} (${report.tool})`;
}

function positionText(report: { line?: number; column?: number }): string {
  return `${report.line}${report.column === undefined ? '' : `:${report.column}`}`;
}

/** `deadnix at 3:6, 4:1, 4:2 (2×)`: one group per tool, each position once with how often it came. */
function groupReports(reports: readonly SyntaxReport[]): string[] {
  const byTool = new Map<string, Map<string, number>>();
  for (const report of reports) {
    const where = report.line === undefined ? 'without a position' : `at ${positionText(report)}`;
    const positions = byTool.get(report.tool) ?? new Map<string, number>();
    positions.set(where, (positions.get(where) ?? 0) + 1);
    byTool.set(report.tool, positions);
  }
  return [...byTool].map(([tool, positions]) => {
    const places = [...positions].map(([where, times]) => `${where}${times > 1 ? ` (${times}×)` : ''}`);
    return `${tool} ${places.join(', ').replace(/, at /g, ', ')}`;
  });
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function publicationText(result: GateResult): string {
  const { checkRun, review } = result.publication;
  const parts: string[] = [];
  if (checkRun?.url)
    parts.push(`🔎 Every finding is annotated in the [flakeflow gate check run](${checkRun.url})`);
  if (review && review.posted > 0) {
    const link = review.url ? `[review](${review.url})` : 'review';
    parts.push(
      `💬 ${review.posted} suggested fix${review.posted === 1 ? '' : 'es'} posted as a ${link} on the pull request`,
    );
  }
  return parts.join('  \n');
}

function renderFindings(findings: readonly Finding[], links: SourceLinks): string {
  if (findings.length === 0) return '';
  const byFile = new Map<string, Finding[]>();
  for (const finding of findings) byFile.set(finding.file, [...(byFile.get(finding.file) ?? []), finding]);
  const sections: string[] = [`#### Findings in ${byFile.size} file${byFile.size === 1 ? '' : 's'}`];
  let size = 0;
  let shown = 0;
  for (const [file, fileFindings] of byFile) {
    const section = fileSection(file, fileFindings, links);
    if (size + section.length > SUMMARY_BUDGET) break;
    sections.push(section);
    size += section.length;
    shown += fileFindings.length;
  }
  if (shown < findings.length) {
    sections.push(
      `… and ${findings.length - shown} more findings: see the JSON report (the \`report\` output).`,
    );
  }
  return sections.join('\n\n');
}

function fileSection(file: string, findings: readonly Finding[], links: SourceLinks): string {
  const counts = countBySeverity(findings);
  const tally = SEVERITIES.filter((severity) => counts[severity] > 0)
    .map((severity) => `${ICON[severity]} ${counts[severity]}`)
    .join(' · ');
  const rows = findings.map((finding) => {
    const position =
      finding.line === undefined ? '–' : `${finding.line}${finding.column ? `:${finding.column}` : ''}`;
    const url = lineUrl(links, finding);
    const message = annotationMessage(finding);
    return [
      ICON[finding.severity],
      url ? `[${position}](${url})` : position,
      annotationTitle(finding),
      message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT)}…` : message,
    ];
  });
  const body = table(['', 'line', 'check', 'finding'], rows, ['center', 'right', 'left', 'left']);
  return `<details><summary><code>${escapeHtml(file)}</code> · ${tally}</summary>\n\n${body}\n\n</details>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

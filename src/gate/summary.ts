import { blocks, cell, formatDuration, table } from '../core/markdown.js';
import { annotationMessage, annotationTitle } from './annotations.js';
import { countBySeverity, describeCounts, type Finding, SEVERITIES, type Severity } from './findings.js';
import type { GateResult } from './result.js';

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

/**
 * The job summary: a one-line verdict when clean; otherwise the counts per check and severity,
 * why any check could not run, and every finding grouped by file with a link to its line.
 */
export function renderSummary(result: GateResult, links: SourceLinks): string {
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
  return `${blocks(headline, context, failures, countsTable, publicationText(result), renderFindings(result.findings, links))}\n`;
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

import { stringifyError } from '../core/errors.js';
import type { GitHubClient, RepositoryRef } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { table } from '../core/markdown.js';
import { annotationMessage, annotationTitle } from './annotations.js';
import { countBySeverity, describeCounts, type Finding, SEVERITIES, type Severity } from './findings.js';
import type { GateResult, PublishedCheckRun } from './result.js';

export type { PublishedCheckRun } from './result.js';

export const CHECK_RUN_NAME = 'flakeflow gate';
/** The Checks API takes at most 50 annotations per request; later updates append. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** `output.summary` and `output.text` hold at most 65,535 characters each. */
const OUTPUT_LIMIT = 65_535;

const LEVEL: Record<Severity, 'failure' | 'warning' | 'notice'> = {
  error: 'failure',
  warning: 'warning',
  notice: 'notice',
};

export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  message: string;
  title: string;
  raw_details?: string;
}

/** The Checks API wants a line on every annotation, and columns only within one line. */
export function checkRunAnnotation(finding: Finding): CheckRunAnnotation {
  const line = finding.line ?? 1;
  const endLine = Math.max(line, finding.endLine ?? line);
  const annotation: CheckRunAnnotation = {
    path: finding.file,
    start_line: line,
    end_line: endLine,
    annotation_level: LEVEL[finding.severity],
    message: annotationMessage(finding).slice(0, OUTPUT_LIMIT),
    title: annotationTitle(finding),
  };
  if (endLine === line && finding.column !== undefined) {
    annotation.start_column = finding.column;
    if (finding.endColumn !== undefined && finding.endColumn > finding.column)
      annotation.end_column = finding.endColumn;
  }
  if (finding.fix) annotation.raw_details = finding.fix.replacement;
  return annotation;
}

export interface CheckRunTarget {
  repository: RepositoryRef;
  /** The pull request's head on pull requests (a check on GitHub's merge commit would not show there). */
  headSha: string;
  detailsUrl?: string;
}

/**
 * Publishes every finding as one "flakeflow gate" check run: created with the first 50 annotations,
 * then updated 50 at a time, completed by the last request.
 */
export async function publishCheckRun(
  client: GitHubClient,
  target: CheckRunTarget,
  result: GateResult,
  jobSummary: string,
): Promise<PublishedCheckRun> {
  const annotations = result.findings.map(checkRunAnnotation);
  const batches: CheckRunAnnotation[][] = [];
  for (let start = 0; start < annotations.length; start += ANNOTATIONS_PER_REQUEST) {
    batches.push(annotations.slice(start, start + ANNOTATIONS_PER_REQUEST));
  }
  if (batches.length === 0) batches.push([]);
  const output = (batch: CheckRunAnnotation[]) => ({
    title: checkRunTitle(result),
    summary: truncate(checkRunSummary(result)),
    text: truncate(jobSummary),
    annotations: batch,
  });
  const completion = {
    status: 'completed' as const,
    conclusion: conclusion(result),
    completed_at: new Date().toISOString(),
  };
  const { owner, repo } = target.repository;
  const created = await client.rest.checks.create({
    owner,
    repo,
    name: CHECK_RUN_NAME,
    head_sha: target.headSha,
    ...(target.detailsUrl ? { details_url: target.detailsUrl } : {}),
    ...(batches.length === 1 ? completion : { status: 'in_progress' as const }),
    output: output(batches[0] as CheckRunAnnotation[]),
  });
  const id = created.data.id;
  for (let index = 1; index < batches.length; index += 1) {
    const last = index === batches.length - 1;
    await client.rest.checks.update({
      owner,
      repo,
      check_run_id: id,
      ...(last ? completion : {}),
      output: output(batches[index] as CheckRunAnnotation[]),
    });
  }
  return { id, url: created.data.html_url ?? '', requests: batches.length };
}

function conclusion(result: GateResult): 'success' | 'neutral' | 'failure' {
  if (!result.passed) return 'failure';
  return result.findings.length > 0 ? 'neutral' : 'success';
}

export function checkRunTitle(result: GateResult): string {
  const counts = describeCounts(countBySeverity(result.findings));
  if (result.failures.length > 0) return `❌ ${result.failures.length} check(s) did not run · ${counts}`;
  return `${result.passed ? '✅' : '❌'} ${counts}`;
}

function checkRunSummary(result: GateResult): string {
  const rows = result.checks.map((check) => [
    check.check,
    check.tool,
    ...SEVERITIES.map((severity) => check.counts[severity]),
    check.failures.length > 0 ? `❌ ${check.failures.join('; ')}` : (check.skipped ?? '✅'),
  ]);
  return table(['check', 'tool', '❌', '⚠️', 'ℹ️', ''], rows, [
    'left',
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
}

function truncate(text: string): string {
  if (text.length <= OUTPUT_LIMIT) return text;
  const note = '\n\n… cut to fit the Checks API: every finding is in the annotations.';
  return text.slice(0, OUTPUT_LIMIT - note.length) + note;
}

/** Publishing is a report, not the verdict: a token without `checks: write` gets a warning. */
export function describePublishError(what: string, permission: string, error: unknown): string {
  const status = (error as { status?: number }).status;
  if (status === 403 || status === 404) {
    return `${what}: the token may not do this (${status}); grant \`permissions: ${permission}\` to the job. The findings are still in the annotations and the job summary.`;
  }
  return `${what} failed: ${stringifyError(error)}`;
}

export function warnPublishError(logger: Logger, what: string, permission: string, error: unknown): string {
  const message = describePublishError(what, permission, error);
  logger.warning(message);
  return message;
}

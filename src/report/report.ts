import { resolve } from 'node:path';
import { type RunContext, runUrlOf } from '../core/action.js';
import { stringifyError } from '../core/errors.js';
import type { GitHubClient } from '../core/github.js';
import type { SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import { GITHUB_BODY_LIMIT } from '../core/markdown.js';
import { parseRepository } from '../core/repository.js';
import type { reportInputs } from './inputs.js';
import { parseHostsOutput, readResultFiles } from './read-results.js';
import { renderReport } from './render.js';
import { type ReportRow, reportRows } from './rows.js';
import {
  pullRequestNumber,
  REPORT_MARKER,
  type StickyComment,
  upsertStickyComment,
} from './sticky-comment.js';

export type ReportSettings = SettingsOf<typeof reportInputs>;

/** A step summary may hold 1 MiB; this leaves room for the bytes emoji take. */
export const SUMMARY_LIMIT = 900_000;

export interface ReportDependencies {
  context: Pick<RunContext, 'workspace' | 'repository' | 'event' | 'sha' | 'serverUrl' | 'runId'>;
  logger: Logger;
  /** Made only when a comment is to be written. */
  github: () => GitHubClient;
}

export interface ReportOutcome {
  rows: ReportRow[];
  /** Hosts that failed to evaluate or build, or left no result. */
  failed: string[];
  summary: string;
  comment?: StickyComment;
  /** Why no comment was written, when one was asked for. */
  commentSkipped?: string;
}

function footer(context: ReportDependencies['context']): string {
  const parts = ['flakeflow report'];
  if (context.sha) parts.push(`for ${context.sha.slice(0, 7)}`);
  const runUrl = runUrlOf(context);
  if (runUrl !== undefined) parts.push(`[run ${context.runId}](${runUrl})`);
  return `<sub>${parts.join(' · ')}</sub>`;
}

/** Gathers the matrix's result-files and the hosts output into one summary and one sticky PR comment. */
export async function buildReport(
  settings: ReportSettings,
  dependencies: ReportDependencies,
): Promise<ReportOutcome> {
  const { context, logger } = dependencies;
  const hosts = parseHostsOutput(settings.hosts);
  const dir = resolve(context.workspace, settings.results);
  const { results, files } = await readResultFiles(dir, logger);
  logger.info(`Read ${results.length} build result(s) from ${files} file(s) in ${dir}`);
  if (!hosts && results.length === 0) {
    logger.warning(`No hosts output and no result-files in ${settings.results}: nothing to report`);
  }
  const rows = reportRows(hosts, results);
  const failed = rows.filter((row) => row.status === 'failed').map((row) => row.host);
  const end = footer(context);
  const summary = renderReport(rows, { limit: SUMMARY_LIMIT, footer: end });
  const outcome: ReportOutcome = { rows, failed, summary };
  if (!settings.comment) return outcome;

  const number = pullRequestNumber(context.event);
  const repository = context.repository ? parseRepository(context.repository) : undefined;
  if (number === undefined || !repository) {
    outcome.commentSkipped = 'not a pull request';
    logger.info('Not a pull request: no comment written');
    return outcome;
  }
  const body = renderReport(rows, { limit: GITHUB_BODY_LIMIT, marker: REPORT_MARKER, footer: end });
  try {
    outcome.comment = await upsertStickyComment(
      dependencies.github(),
      repository,
      number,
      REPORT_MARKER,
      body,
    );
    logger.info(`Report comment ${outcome.comment.operation}: ${outcome.comment.url}`);
  } catch (error) {
    const status = (error as { status?: number }).status;
    outcome.commentSkipped = `GitHub refused the comment (${status ?? 'no status'}): ${stringifyError(error)}`;
    logger.warning(
      `Could not write the pull request comment: ${stringifyError(error)}` +
        (status === 403
          ? ' (the token needs pull-requests: write; a fork’s pull request gets a read-only token)'
          : '') +
        '. The job summary has the report.',
    );
  }
  return outcome;
}

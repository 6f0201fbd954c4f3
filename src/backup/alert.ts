import type { GitHubClient, RepositoryRef } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { GITHUB_BODY_LIMIT } from '../core/markdown.js';
import { renderSummary } from './summary.js';
import type { VerificationReport } from './verification.js';

export const ALERT_LABEL = 'backup-alert';
export const ALERT_TITLE = '❌ Backups need attention';

export interface AlertTarget {
  client: GitHubClient;
  repository: RepositoryRef;
  /** The workflow run that found it, linked from the issue. */
  runUrl?: string;
}

export type AlertAction =
  | { action: 'opened' | 'updated' | 'closed'; number: number; url: string }
  | { action: 'none' };

function alertBody(report: VerificationReport, runUrl: string | undefined): string {
  const link = runUrl ? `Found by [this run](${runUrl}). ` : '';
  const intro =
    `${link}flakeflow backup-verify keeps this issue up to date and closes it once every repository ` +
    'passes again.\n\n';
  const body = intro + renderSummary(report);
  if (body.length <= GITHUB_BODY_LIMIT) return body;
  const cut = '\n\n…cut to fit GitHub; the run summary and the JSON report hold everything.';
  return body.slice(0, GITHUB_BODY_LIMIT - cut.length) + cut;
}

/**
 * Keeps one open issue labelled `backup-alert` while verification fails: opened on the first failing
 * run, its body replaced on later ones, closed with a comment on the first healthy run. A cancelled
 * run leaves it as it is: it proves nothing either way.
 */
export async function syncAlertIssue(
  report: VerificationReport,
  target: AlertTarget,
  logger: Logger,
): Promise<AlertAction> {
  if (report.cancelled) return { action: 'none' };
  const { client, repository } = target;
  const open = await client.rest.issues.listForRepo({
    ...repository,
    state: 'open',
    labels: ALERT_LABEL,
    per_page: 100,
  });
  const existing = open.data.filter((issue) => !issue.pull_request).sort((a, b) => a.number - b.number)[0];

  if (report.healthy) {
    if (!existing) return { action: 'none' };
    const when = report.finishedAt.slice(0, 16).replace('T', ' ');
    const link = target.runUrl ? ` ([run](${target.runUrl}))` : '';
    await client.rest.issues.createComment({
      ...repository,
      issue_number: existing.number,
      body: `✅ Every repository passed verification again at ${when} UTC${link}. Closing.`,
    });
    await client.rest.issues.update({
      ...repository,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
    });
    logger.info(`Closed backup alert #${existing.number}: healthy again`);
    return { action: 'closed', number: existing.number, url: existing.html_url };
  }

  const body = alertBody(report, target.runUrl);
  if (existing) {
    await client.rest.issues.update({
      ...repository,
      issue_number: existing.number,
      title: ALERT_TITLE,
      body,
    });
    logger.info(`Updated backup alert #${existing.number}`);
    return { action: 'updated', number: existing.number, url: existing.html_url };
  }
  const created = await client.rest.issues.create({
    ...repository,
    title: ALERT_TITLE,
    body,
    labels: [ALERT_LABEL],
  });
  logger.info(`Opened backup alert #${created.data.number}`);
  return { action: 'opened', number: created.data.number, url: created.data.html_url };
}

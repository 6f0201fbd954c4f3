import type { GitHubClient, RepositoryRef } from './github.js';
import type { Logger } from './logger.js';
import { GITHUB_BODY_LIMIT } from './markdown.js';

/** Where an alert issue is kept: the repository, and the run that found it. */
export interface AlertTarget {
  client: GitHubClient;
  repository: RepositoryRef;
  /** The workflow run that found it, linked from the issue. */
  runUrl?: string;
}

export type AlertAction =
  | { action: 'opened' | 'updated' | 'closed'; number: number; url: string }
  | { action: 'none' };

/** One alert: the label that finds its issue, and what a run found. */
export interface Alert {
  label: string;
  title: string;
  /** Whether all is well, which closes the issue. */
  healthy: boolean;
  /** The issue's body while not healthy, after a line linking the run. */
  body: string;
  /** The comment that closes it, after which the run is linked, e.g. `✅ Every node is current again`. */
  closing: string;
}

function alertBody(alert: Alert, runUrl: string | undefined): string {
  const link = runUrl ? `Found by [this run](${runUrl}). ` : '';
  const body = link + alert.body;
  if (body.length <= GITHUB_BODY_LIMIT) return body;
  const cut = '\n\n…cut to fit GitHub; the run summary and the JSON report hold everything.';
  return body.slice(0, GITHUB_BODY_LIMIT - cut.length) + cut;
}

/**
 * Keeps one open issue with the alert's label while something is wrong: opened on the first
 * unhealthy run, its body replaced on later ones, closed with a comment on the first healthy run.
 */
export async function syncAlertIssue(
  alert: Alert,
  target: AlertTarget,
  logger: Logger,
): Promise<AlertAction> {
  const { client, repository } = target;
  const open = await client.rest.issues.listForRepo({
    ...repository,
    state: 'open',
    labels: alert.label,
    per_page: 100,
  });
  const existing = open.data.filter((issue) => !issue.pull_request).sort((a, b) => a.number - b.number)[0];

  if (alert.healthy) {
    if (!existing) return { action: 'none' };
    const link = target.runUrl ? ` ([run](${target.runUrl}))` : '';
    await client.rest.issues.createComment({
      ...repository,
      issue_number: existing.number,
      body: `${alert.closing}${link}. Closing.`,
    });
    await client.rest.issues.update({
      ...repository,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
    });
    logger.info(`Closed ${alert.label} #${existing.number}: healthy again`);
    return { action: 'closed', number: existing.number, url: existing.html_url };
  }

  const body = alertBody(alert, target.runUrl);
  if (existing) {
    await client.rest.issues.update({
      ...repository,
      issue_number: existing.number,
      title: alert.title,
      body,
    });
    logger.info(`Updated ${alert.label} #${existing.number}`);
    return { action: 'updated', number: existing.number, url: existing.html_url };
  }
  const created = await client.rest.issues.create({
    ...repository,
    title: alert.title,
    body,
    labels: [alert.label],
  });
  logger.info(`Opened ${alert.label} #${created.data.number}`);
  return { action: 'opened', number: created.data.number, url: created.data.html_url };
}

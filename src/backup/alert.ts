import { type AlertAction, type AlertTarget, syncAlertIssue } from '../core/alert-issue.js';
import type { Logger } from '../core/logger.js';
import { renderSummary } from './summary.js';
import type { VerificationReport } from './verification.js';

export type { AlertAction, AlertTarget } from '../core/alert-issue.js';

export const ALERT_LABEL = 'backup-alert';
export const ALERT_TITLE = '❌ Backups need attention';

/**
 * Keeps one open issue labelled `backup-alert` while verification fails, closed on the first healthy
 * run. A cancelled run leaves it as it is: it proves nothing either way.
 */
export async function syncBackupAlert(
  report: VerificationReport,
  target: AlertTarget,
  logger: Logger,
): Promise<AlertAction> {
  if (report.cancelled) return { action: 'none' };
  const when = report.finishedAt.slice(0, 16).replace('T', ' ');
  return syncAlertIssue(
    {
      label: ALERT_LABEL,
      title: ALERT_TITLE,
      healthy: report.healthy,
      body:
        'flakeflow backup-verify keeps this issue up to date and closes it once every repository ' +
        `passes again.\n\n${renderSummary(report)}`,
      closing: `✅ Every repository passed verification again at ${when} UTC`,
    },
    target,
    logger,
  );
}

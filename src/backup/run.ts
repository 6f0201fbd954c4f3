import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Annotation } from '../core/annotations.js';
import { stringifyError } from '../core/errors.js';
import { ALERT_LABEL, type AlertAction, type AlertTarget, syncBackupAlert } from './alert.js';
import { type BackupVerifyInputs, type PlanSources, planRepositories } from './settings.js';
import { renderSummary } from './summary.js';
import { type Failure, isBackupCheck, type VerificationReport } from './verification.js';
import { type VerifyDependencies, verifyBackups } from './verify.js';

export interface BackupVerifyEnvironment extends VerifyDependencies, PlanSources {
  /** RUNNER_TEMP: the scratch space and the JSON report live under it. */
  runnerTemp: string;
  /** Present when `alert-issue` is true. */
  alert?: AlertTarget;
}

export interface BackupVerifyOutcome {
  report: VerificationReport;
  reportPath: string;
  summary: string;
  annotations: Annotation[];
  alert?: AlertAction;
}

/** The runner shows ten error annotations per step; the summary and the report hold the rest. */
const ANNOTATED_FAILURES = 10;

export function reportPath(runnerTemp: string): string {
  return join(runnerTemp, 'flakeflow-backup-verify', 'report.json');
}

function annotation(failure: Failure): Annotation {
  const where = failure.group ? `${failure.repository} · ${failure.group}` : failure.repository;
  return { level: 'error', title: `backup ${failure.kind}: ${where}`, message: failure.message };
}

/** Settings → verified repositories → the JSON report, the job summary, the annotations and the alert issue. */
export async function runBackupVerify(
  inputs: BackupVerifyInputs,
  environment: BackupVerifyEnvironment,
): Promise<BackupVerifyOutcome> {
  const repositories = await planRepositories(inputs, environment);
  const report = await verifyBackups(
    {
      repositories,
      checks: inputs.checks.filter(isBackupCheck),
      concurrency: inputs.concurrency,
      resticCommand: inputs['restic-command'],
      scratchParent: environment.runnerTemp,
      workspace: environment.workspace,
    },
    environment,
  );
  const path = reportPath(environment.runnerTemp);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  const annotations = report.failures.slice(0, ANNOTATED_FAILURES).map(annotation);
  let alert: AlertAction | undefined;
  if (environment.alert) {
    try {
      alert = await syncBackupAlert(report, environment.alert, environment.logger);
    } catch (error) {
      // The verification stands on its own: a GitHub outage must not hide its result.
      const message = `Could not update the ${ALERT_LABEL} issue: ${stringifyError(error)}`;
      environment.logger.debug(error instanceof Error && error.stack ? error.stack : message);
      annotations.push({ level: 'warning', title: 'backup alert issue', message });
    }
  }
  return {
    report,
    reportPath: path,
    summary: renderSummary(report),
    annotations,
    ...(alert ? { alert } : {}),
  };
}

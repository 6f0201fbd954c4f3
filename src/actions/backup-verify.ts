import { backupVerifyInputs } from '../backup/inputs.js';
import { runBackupVerify } from '../backup/run.js';
import { defineAction } from '../core/action.js';
import { accessGiven, nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { alertTargetFor } from './alert-target.js';
import { withNixRunner } from './nix-runner.js';

export const backupVerifyAction = defineAction({
  name: 'backup-verify',
  inputs: backupVerifyInputs,
  outputs: ['healthy', 'report', 'failures'],
  pathInputs: ['path', 'config', 'services-json'],
  refusesForks: true,
  async run(settings, environment) {
    const { context, logger, signal } = environment;
    const alert = settings['alert-issue'] ? await alertTargetFor(context, settings.token, logger) : undefined;
    const outcome = await withNixRunner(nixAccessSettings(settings), environment, (runner) =>
      runBackupVerify(settings, {
        runner,
        logger,
        clock: Date.now,
        environment: process.env,
        signal,
        workspace: context.workspace,
        runnerTemp: context.runnerTemp,
        nix: new NixCli(runner),
        nixAccess: accessGiven(settings),
        ...(alert ? { alert } : {}),
      }),
    );
    const { report } = outcome;
    const first = report.failures[0];
    const failure = report.cancelled
      ? `Backup verification was cancelled; the partial report is at ${outcome.reportPath}`
      : first
        ? `${report.failures.length} backup check(s) failed, first: ${first.repository}: ${first.message}`
        : undefined;
    return {
      outputs: {
        healthy: String(report.healthy),
        report: outcome.reportPath,
        failures: JSON.stringify(report.failures),
      },
      summary: outcome.summary,
      annotations: outcome.annotations,
      ...(failure ? { failure } : {}),
    };
  },
});

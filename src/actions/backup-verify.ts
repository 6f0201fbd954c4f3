import type { AlertTarget } from '../backup/alert.js';
import { backupVerifyInputs } from '../backup/inputs.js';
import { runBackupVerify } from '../backup/run.js';
import { defineAction } from '../core/action.js';
import { UserError } from '../core/errors.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import { parseRepository } from '../core/repository.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { withNixRunner } from './nix-runner.js';

export const backupVerifyAction = defineAction({
  name: 'backup-verify',
  inputs: backupVerifyInputs,
  outputs: ['healthy', 'report', 'failures'],
  pathInputs: ['path', 'config', 'services-json'],
  refusesForks: true,
  async run(settings, environment) {
    const { context, logger, signal } = environment;
    let alert: AlertTarget | undefined;
    if (settings['alert-issue']) {
      const repository = parseRepository(context.repository ?? '');
      if (!repository)
        throw new UserError("Input 'alert-issue' needs GITHUB_REPOSITORY (owner/name) to open the issue in");
      const client = await loadRunGitHubClient(settings.token, context, logger);
      const runUrl = context.runId
        ? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`
        : undefined;
      alert = { client, repository, ...(runUrl ? { runUrl } : {}) };
    }
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

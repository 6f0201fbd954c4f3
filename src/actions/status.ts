import { defineAction } from '../core/action.js';
import { type AlertAction, syncAlertIssue } from '../core/alert-issue.js';
import { CleanupList } from '../core/cleanup.js';
import { stringifyError } from '../core/errors.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { readFleetStatus } from '../status/fleet-status.js';
import { statusInputs } from '../status/inputs.js';
import {
  failingStates,
  renderStatusSummary,
  STATUS_ALERT_LABEL,
  statusAlert,
  statusAnnotations,
  statusFailure,
  statusOutput,
} from '../status/report.js';
import { alertTargetFor } from './alert-target.js';
import { withNixRunner } from './nix-runner.js';

export const statusAction = defineAction({
  name: 'status',
  inputs: statusInputs,
  outputs: ['nodes'],
  pathInputs: ['path'],
  refusesForks: true,
  async run(settings, environment) {
    const { context, logger } = environment;
    const alertTarget = settings['alert-issue']
      ? await alertTargetFor(context, settings.token, logger)
      : undefined;
    const status = await withNixRunner(nixAccessSettings(settings), environment, (runner) =>
      readFleetStatus(settings, {
        context,
        logger,
        runner,
        nix: new NixCli(runner),
        cleanup: new CleanupList(environment.state),
      }),
    );
    const failOn = failingStates(settings['fail-on']);
    const annotations = statusAnnotations(status, failOn);
    let alert: AlertAction | undefined;
    if (alertTarget) {
      try {
        alert = await syncAlertIssue(statusAlert(status), alertTarget, logger);
      } catch (error) {
        // The status stands on its own: a GitHub outage must not hide it.
        const message = `Could not update the ${STATUS_ALERT_LABEL} issue: ${stringifyError(error)}`;
        annotations.push({ level: 'warning', title: 'fleet status alert issue', message });
      }
    }
    const failure = statusFailure(status, failOn);
    const link = alert && alert.action !== 'none' ? `\n\nAlert issue #${alert.number} ${alert.action}.` : '';
    return {
      outputs: { nodes: statusOutput(status) },
      summary: renderStatusSummary(status) + link,
      annotations,
      ...(failure === undefined ? {} : { failure }),
    };
  },
});

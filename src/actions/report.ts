import { defineAction } from '../core/action.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import { reportInputs } from '../report/inputs.js';
import { buildReport } from '../report/report.js';

export const REPORT_OUTPUTS = ['passed', 'failed', 'comment-url', 'summary'] as const;

export const reportAction = defineAction({
  name: 'report',
  inputs: reportInputs,
  outputs: REPORT_OUTPUTS,
  pathInputs: ['results'],
  keepsForksOffSelfHosted: true,
  async run(settings, { context, logger }) {
    const client = settings.comment ? await loadRunGitHubClient(settings.token, context, logger) : undefined;
    const outcome = await buildReport(settings, {
      context,
      logger,
      github: () => {
        if (!client) throw new Error('the GitHub client is only loaded with comment: true');
        return client;
      },
    });
    const failing = settings['fail-on'] === 'failure' && outcome.failed.length > 0;
    return {
      outputs: {
        passed: String(outcome.failed.length === 0),
        failed: JSON.stringify(outcome.failed),
        'comment-url': outcome.comment?.url ?? '',
        summary: outcome.summary,
      },
      summary: outcome.summary,
      ...(failing
        ? { failure: `${outcome.failed.length} host(s) failed: ${outcome.failed.join(', ')}` }
        : {}),
    };
  },
});

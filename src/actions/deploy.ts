import { defineAction, type RunContext } from '../core/action.js';
import { CleanupList } from '../core/cleanup.js';
import { UserError } from '../core/errors.js';
import { createGitHubClient, parseRepository } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { SpawnProcessRunner } from '../core/process.js';
import { type DeploySettings, deployFleet } from '../deploy/deploy-fleet.js';
import { GitHubDeployments } from '../deploy/github-deployments.js';
import { deployInputs } from '../deploy/inputs.js';
import { deployAnnotations, deployFailure, deployOutputs, deploySummary } from '../deploy/report.js';
import { NixCli } from '../nix/cli.js';

export const deployAction = defineAction({
  name: 'deploy',
  inputs: deployInputs,
  outputs: ['result', 'deployed', 'failed', 'report'],
  async run(settings, environment) {
    const { context, logger } = environment;
    const runner = new SpawnProcessRunner(logger);
    const outcome = await deployFleet(settings, {
      context,
      logger,
      runner,
      nix: new NixCli(runner),
      cleanup: new CleanupList(environment.state),
      signal: environment.signal,
      ...(settings['github-deployments']
        ? { deployments: githubDeployments(settings, context, logger) }
        : {}),
    });
    const failure = deployFailure(outcome);
    return {
      outputs: { ...deployOutputs(outcome), report: outcome.reportFile },
      summary: deploySummary(outcome),
      annotations: deployAnnotations(outcome),
      ...(failure === undefined ? {} : { failure }),
    };
  },
});

function githubDeployments(settings: DeploySettings, context: RunContext, logger: Logger): GitHubDeployments {
  const repository = parseRepository(context.repository ?? '');
  const ref = context.sha ?? context.ref;
  if (!repository || !ref) {
    throw new UserError(
      "Input 'github-deployments' needs GITHUB_REPOSITORY and GITHUB_SHA, which are not set here",
    );
  }
  const client = createGitHubClient({
    token: settings.token,
    apiUrl: context.apiUrl,
    ...(context.graphqlUrl ? { graphqlUrl: context.graphqlUrl } : {}),
    logger,
  });
  return new GitHubDeployments(client, {
    repository,
    ref,
    environmentPrefix: settings['environment-prefix'],
    ...(context.runId
      ? {
          logUrl: `${context.serverUrl}/${repository.owner}/${repository.repo}/actions/runs/${context.runId}`,
        }
      : {}),
    logger,
  });
}

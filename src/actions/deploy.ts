import { defineAction, type RunContext, runUrlOf } from '../core/action.js';
import { CleanupList } from '../core/cleanup.js';
import { UserError } from '../core/errors.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import type { Logger } from '../core/logger.js';
import { parseRepository } from '../core/repository.js';
import { type DeploySettings, deployFleet } from '../deploy/deploy-fleet.js';
import { GitHubDeployments } from '../deploy/github-deployments.js';
import { deployInputs } from '../deploy/inputs.js';
import { deployAnnotations, deployFailure, deployOutputs, deploySummary } from '../deploy/report.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { withNixRunner } from './nix-runner.js';
import { stepCacheAccess } from './step-environment.js';

export const deployAction = defineAction({
  name: 'deploy',
  inputs: deployInputs,
  outputs: ['result', 'deployed', 'unchanged', 'failed', 'report'],
  pathInputs: ['path'],
  refusesForks: true,
  async run(settings, environment) {
    const { context, logger } = environment;
    const deployments = settings['github-deployments']
      ? await githubDeployments(settings, context, logger)
      : undefined;
    const runUrl = runUrlOf(context);
    const outcome = await withNixRunner(
      { ...nixAccessSettings(settings), ...stepCacheAccess(settings, environment.logger) },
      environment,
      (runner) =>
        deployFleet(settings, {
          context,
          logger,
          runner,
          nix: new NixCli(runner),
          cleanup: new CleanupList(environment.state),
          signal: environment.signal,
          searchPath: process.env.PATH ?? '',
          ...(runUrl === undefined ? {} : { runUrl }),
          ...(deployments ? { deployments } : {}),
        }),
    );
    const failure = deployFailure(outcome);
    return {
      outputs: { ...deployOutputs(outcome), report: outcome.reportFile },
      summary: deploySummary(outcome),
      annotations: deployAnnotations(outcome),
      ...(failure === undefined ? {} : { failure }),
    };
  },
});

async function githubDeployments(
  settings: DeploySettings,
  context: RunContext,
  logger: Logger,
): Promise<GitHubDeployments> {
  const repository = parseRepository(context.repository ?? '');
  const ref = context.sha ?? context.ref;
  if (!repository || !ref) {
    throw new UserError(
      "Input 'github-deployments' needs GITHUB_REPOSITORY and GITHUB_SHA, which are not set here",
    );
  }
  const client = await loadRunGitHubClient(settings.token, context, logger);
  const logUrl = runUrlOf(context);
  return new GitHubDeployments(client, {
    repository,
    ref,
    environmentPrefix: settings['environment-prefix'],
    ...(logUrl === undefined ? {} : { logUrl }),
    logger,
  });
}

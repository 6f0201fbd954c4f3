import { resolve } from 'node:path';
import { type ActionEnvironment, type ActionResult, defineAction, runUrlOf } from '../core/action.js';
import { UserError } from '../core/errors.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import { GITHUB_TOKEN_DEFAULT, type SettingsOf } from '../core/inputs.js';
import type { ProcessRunner } from '../core/process.js';
import { parseRepository } from '../core/repository.js';
import { ApiCommitter, GitCommitter } from '../lock/commit.js';
import { LockUpdateGitHub } from '../lock/github.js';
import { lockUpdateInputs } from '../lock/inputs.js';
import { LOCK_UPDATE_OUTPUTS, lockUpdateOutputs } from '../lock/outputs.js';
import { runLockUpdate } from '../lock/run.js';
import { renderSummary } from '../lock/summary.js';
import { accessGiven, nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { evalWorkerLimits, thisMachine } from '../nix/eval-workers.js';
import { withNixRunner } from './nix-runner.js';
import { stepCacheAccess } from './step-environment.js';

export const lockUpdateAction = defineAction({
  name: 'lock-update',
  inputs: lockUpdateInputs,
  outputs: LOCK_UPDATE_OUTPUTS,
  pathInputs: ['path'],
  run(settings, environment) {
    const useToken = settings['inputs-use-token'] && settings.token !== GITHUB_TOKEN_DEFAULT;
    return withNixRunner(
      {
        ...nixAccessSettings(settings, useToken ? settings.token : undefined),
        ...stepCacheAccess(settings, environment.logger),
      },
      environment,
      (runner) => updateLock(settings, environment, runner),
    );
  },
});

async function updateLock(
  settings: SettingsOf<typeof lockUpdateInputs>,
  { context, logger, signal }: ActionEnvironment,
  runner: ProcessRunner,
): Promise<ActionResult> {
  const nix = new NixCli(runner, { nixOptions: settings['nix-options'] ?? [] });
  const repository = parseRepository(context.repository ?? '');
  const runUrl = runUrlOf(context);
  const client =
    repository && !settings['dry-run']
      ? await loadRunGitHubClient(settings.token, context, logger)
      : undefined;
  const github = () => {
    if (!repository) {
      throw new UserError(
        'GITHUB_REPOSITORY is not set: run this action in a workflow, or set `dry-run: true`',
      );
    }
    if (!client) throw new Error('the GitHub client is only loaded when this is no dry run');
    const api = new LockUpdateGitHub(client, repository, logger);
    const committer =
      settings['commit-mode'] === 'git'
        ? new GitCommitter({
            runner,
            workspace: context.workspace,
            token: settings.token,
            serverUrl: context.serverUrl,
            logger,
            tempDir: context.runnerTemp,
            signal,
          })
        : new ApiCommitter(api);
    return { api, committer };
  };
  const result = await runLockUpdate(
    {
      flakePath: settings.path,
      flakeDir: resolve(context.workspace, settings.path),
      ...(settings.inputs ? { inputs: settings.inputs } : {}),
      ...(settings.groups ? { groups: settings.groups } : {}),
      ...(settings.base ? { base: settings.base } : {}),
      branch: settings.branch,
      commitMessage: settings['commit-message'],
      ...(settings['pr-title'] ? { prTitle: settings['pr-title'] } : {}),
      labels: settings['pr-labels'] ?? [],
      reviewers: settings['pr-reviewers'] ?? [],
      assignees: settings['pr-assignees'] ?? [],
      autoMerge: settings['auto-merge'],
      mergeMethod: settings['merge-method'],
      verify: settings.verify,
      onVerifyFailure: settings['on-verify-failure'],
      ...(settings['dispatch-workflow'] ? { dispatchWorkflow: settings['dispatch-workflow'] } : {}),
      staleDays: settings['stale-days'],
      dryRun: settings['dry-run'],
      ...(runUrl ? { runUrl } : {}),
    },
    {
      nix,
      logger,
      github,
      now: () => new Date(),
      signal,
      access: accessGiven(settings),
      evalPool: {
        runner,
        nixOptions: settings['nix-options'] ?? [],
        limits: evalWorkerLimits(
          { workers: settings['eval-workers'], maxMemoryKiB: settings['eval-max-memory'] },
          thisMachine(),
        ),
      },
    },
  );
  return {
    outputs: lockUpdateOutputs(result),
    summary: renderSummary(result, { dryRun: settings['dry-run'], staleDays: settings['stale-days'] }),
    annotations: result.annotations,
    ...(result.failure ? { failure: result.failure } : {}),
  };
}

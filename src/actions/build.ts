import { join } from 'node:path';
import { buildHosts } from '../build/build-hosts.js';
import { buildInputs } from '../build/inputs.js';
import { buildSummary } from '../build/summary.js';
import { defineAction } from '../core/action.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { withNixRunner } from './nix-runner.js';
import { stepCacheAccess, stepVariables } from './step-environment.js';

export const BUILD_OUTPUTS = ['out-path', 'drv-path', 'closure-size', 'result-file'] as const;

export const buildAction = defineAction({
  name: 'build',
  inputs: buildInputs,
  outputs: BUILD_OUTPUTS,
  pathInputs: ['path'],
  keepsForksOffSelfHosted: true,
  async run(settings, environment) {
    const { context, logger, signal } = environment;
    const access = {
      ...nixAccessSettings(settings),
      ...stepCacheAccess(settings, logger, [settings['push-to'] ?? '']),
    };
    const outcome = await withNixRunner(access, environment, (runner) =>
      buildHosts(settings, {
        runner,
        logger,
        workspace: context.workspace,
        tempDir: context.runnerTemp,
        resultDir: join(context.runnerTemp, 'flakeflow-results'),
        signal,
        pushVariables: stepVariables(settings['push-env'] ?? [], 'push-env', logger),
      }),
    );
    const built = outcome.results.filter((result) => result.status === 'built');
    const failed = outcome.results.filter((result) => result.status === 'failed');
    const problems = [
      ...failed.map((result) => `${result.host} failed: ${(result.error ?? '').split('\n')[0]}`),
      ...outcome.pushFailures.map(
        (failure) => `pushing to ${failure.target} failed: ${failure.error.split('\n')[0]}`,
      ),
    ];
    return {
      outputs: {
        'out-path': built.map((result) => result.outPath).join(' '),
        'drv-path': outcome.results
          .map((result) => result.drvPath ?? '')
          .join(' ')
          .trim(),
        'closure-size': built.map((result) => String(result.closureSize ?? '')).join(' '),
        'result-file': outcome.resultFile,
      },
      summary: buildSummary(outcome),
      annotations: failed.map((result) => ({
        level: 'error' as const,
        title: `${result.host} failed to build`,
        message: result.error ?? 'no message',
      })),
      ...(problems.length > 0 ? { failure: problems.join('; ') } : {}),
    };
  },
});

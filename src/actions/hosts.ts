import { defineAction } from '../core/action.js';
import { findProgram } from '../core/programs.js';
import { failureAnnotations } from '../hosts/annotations.js';
import { fetchNarinfoProbe } from '../hosts/binary-cache.js';
import { hostsInputs } from '../hosts/inputs.js';
import { listHosts } from '../hosts/list-hosts.js';
import { hostsSummary } from '../hosts/summary.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { thisMachine } from '../nix/eval-workers.js';
import { withNixRunner } from './nix-runner.js';
import { stepCacheAccess } from './step-environment.js';

export const HOSTS_OUTPUTS = ['matrix', 'hosts', 'count', 'empty'] as const;

export const hostsAction = defineAction({
  name: 'hosts',
  inputs: hostsInputs,
  outputs: HOSTS_OUTPUTS,
  pathInputs: ['path'],
  keepsForksOffSelfHosted: true,
  async run(settings, environment) {
    const { context, logger, signal } = environment;
    const access = {
      ...nixAccessSettings(settings),
      ...stepCacheAccess(settings, logger, settings['skip-cached']),
    };
    const result = await withNixRunner(access, environment, (runner) =>
      listHosts(settings, {
        runner,
        logger,
        probe: fetchNarinfoProbe(),
        workspace: context.workspace,
        tempDir: context.runnerTemp,
        evalJobsCommand: findProgram('nix-eval-jobs', process.env.PATH),
        machine: thisMachine(),
        signal,
      }),
    );
    const failed = result.hosts.filter((host) => host.status === 'failed');
    return {
      outputs: {
        matrix: JSON.stringify({ include: result.matrix }),
        hosts: JSON.stringify(result.hosts),
        count: String(result.count),
        empty: String(result.count === 0),
      },
      summary: hostsSummary(result),
      annotations: failureAnnotations(result.hosts, result.flakeDir, context.workspace),
      ...(failed.length > 0
        ? {
            failure: `${failed.length} host(s) failed: ${failed.map((host) => `${host.host} (${host.reason})`).join(', ')}`,
          }
        : {}),
    };
  },
});

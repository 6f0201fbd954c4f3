import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { formatDuration } from '../core/markdown.js';
import type { ProcessRunner } from '../core/process.js';
import { type DeployRsFlags, deployRsArgs, runDeployRs } from './deploy-rs.js';
import { type DeployPhase, judgeDeployRun } from './deploy-rs-log.js';
import type { DeploymentRecorder } from './github-deployments.js';
import type { NodeHealthCheck } from './health-checks.js';
import { type HealthProbeDeps, type HealthReport, runHealthCheck } from './health-probe.js';
import type { DeployNode } from './nodes.js';
import type { DeployOneNode, NodeResult, NodeStatus } from './rollout.js';

export interface NodeDeployerOptions {
  runner: ProcessRunner;
  logger: Logger;
  /** deploy-command, split. */
  command: readonly string[];
  flakeDir: string;
  flags: DeployRsFlags;
  /**
   * Shared by every node of the run: once one deploy-rs run got past `nix flake check`, the others
   * skip it, since they deploy the same flake.
   */
  flakeCheck: { passed: boolean };
  sshOptions: (node: DeployNode) => string[];
  /** The SSH user the health check logs in as: `ssh-user`, else the node's `sshUser`. */
  sshUser: (node: DeployNode) => string | undefined;
  healthCheck: (node: DeployNode) => NodeHealthCheck | undefined;
  health: HealthProbeDeps;
  boundMs: number;
  deployments?: DeploymentRecorder;
  /**
   * Takes the GitHub recording of a node, which runs beside its deployment: octokit spaces writes a
   * second apart, and a rollout must not wait on that.
   */
  background: (work: Promise<unknown>) => void;
  now: () => number;
}

/** Phases deploy-rs reaches only after `nix flake check` passed. */
const PAST_CHECKS: readonly DeployPhase[] = ['building', 'copying', 'activating', 'confirming'];

export const STATUS_ICONS: Record<NodeStatus, string> = {
  deployed: '✅',
  'dry-activated': '✅',
  failed: '❌',
  'rolled-back': '↩️',
  unhealthy: '🩺',
  skipped: '⏭️',
  unchanged: '⏸️',
};

/**
 * Deploys one node: deploy-rs, then its health check, with the GitHub deployment following along.
 * Its whole log is printed in one folded group when it ends, so parallel nodes never interleave.
 */
export function createNodeDeployer(options: NodeDeployerOptions): DeployOneNode {
  return async (node, wave) => {
    const { logger } = options;
    const started = options.now();
    const recording = options.deployments?.start(node.name, wave.number);
    logger.info(`▶ ${node.name}: deploying (wave ${wave.number})`);

    let status: NodeStatus;
    let message: string;
    let output = '';
    let health: HealthReport | undefined;
    try {
      const flags = { ...options.flags, skipChecks: options.flags.skipChecks || options.flakeCheck.passed };
      const run = await runDeployRs(options.runner, {
        command: options.command,
        args: deployRsArgs(node.name, flags, options.sshOptions(node)),
        flakeDir: options.flakeDir,
        boundMs: options.boundMs,
        onPhase: (phase) => logger.info(`  ${node.name}: ${phase}`),
      });
      output = `${run.result.stdout}${run.result.stderr}`;
      if (!flags.skipChecks && PAST_CHECKS.includes(run.log.phase as DeployPhase))
        options.flakeCheck.passed = true;
      ({ status, message } = judgeDeployRun(run.log, {
        exitCode: run.result.exitCode,
        dryActivate: options.flags.dryActivate,
        ...(run.hungAfterMs === undefined ? {} : { hungAfterMs: run.hungAfterMs }),
      }));
      const check = options.healthCheck(node);
      // A dry activation or a boot install leaves the running system as it was: nothing new to check.
      if (status === 'deployed' && check && !options.flags.boot) {
        logger.info(`  ${node.name}: health check`);
        health = await runHealthCheck(
          check,
          { node, sshOptions: options.sshOptions(node), sshUser: options.sshUser(node) },
          options.health,
        );
        if (!health.healthy) status = 'unhealthy';
        message = health.healthy ? `${message}; ${health.message}` : health.message;
      }
    } catch (error) {
      status = 'failed';
      message = stringifyError(error);
    }

    const finished = options.now();
    const result: NodeResult = {
      node: node.name,
      wave: wave.number,
      status,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
      message,
    };
    if (recording) {
      options.background(
        recording.then((id) =>
          id === undefined ? undefined : options.deployments?.finish(id, node.name, status, message),
        ),
      );
    }
    await logger.group(
      `${STATUS_ICONS[status]} ${node.name}: ${status} in ${formatDuration(result.durationMs ?? 0)}`,
      async () => {
        for (const line of output.split('\n')) if (line.trim() !== '') logger.info(line);
        for (const line of health?.lines ?? []) logger.info(line);
        logger.info(`→ ${status}: ${message}`);
      },
    );
    return result;
  };
}

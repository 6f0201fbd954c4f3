import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { formatDuration } from '../core/markdown.js';
import type { ProcessRunner } from '../core/process.js';
import type { NixCli } from '../nix/cli.js';
import { STATUS_ICONS } from './deploy-node.js';
import type { DeployOrigin } from './deploy-record.js';
import type { DeploymentRecorder } from './github-deployments.js';
import type { NodeHealthCheck } from './health-checks.js';
import type { HealthProbeDeps } from './health-probe.js';
import type { DeployNode } from './nodes.js';
import type { DeployOneNode, NodeResult, NodeStatus } from './rollout.js';
import type { SshAccess } from './ssh.js';

/** The engines that activate a node: deploy-rs, or flakeflow's own switch over SSH. */
export type EngineName = 'deploy-rs' | 'switch';

/** What both engines offer the rollout: the nodes to plan with, and how one node is deployed. */
export interface DeployEngine {
  name: EngineName;
  nodes: readonly DeployNode[];
  /** Deploys one node of `planned`; never throws for a failed deployment. */
  deployer(context: EngineContext, planned: readonly DeployNode[]): Promise<DeployOneNode>;
  /** Releases what the deployer kept open for nodes the rollout did not reach (a halt, a cancel). */
  finish?(): Promise<void>;
}

/** What the run prepared before any node starts, shared by both engines. */
export interface EngineContext extends NodeRunOptions {
  runner: ProcessRunner;
  nix: NixCli;
  flakeDir: string;
  access: SshAccess;
  healthCheck: (node: DeployNode) => NodeHealthCheck | undefined;
  health: HealthProbeDeps;
  /** Added to activation-timeout and confirm-timeout before a run counts as hung. */
  marginMs: number;
  /** How long a node's copy may make no progress before it is killed (switch engine). */
  copyStallMs?: number;
  /** The commit and run each node's deploy record names. */
  origin: DeployOrigin;
  /**
   * Aborted once the rollout stops (cancelled, or halted), its reason saying why: nodes already
   * running finish, but what they have not begun (a switch-engine copy) is stopped.
   */
  signal: AbortSignal;
}

/** How one node's deployment ended, before timing and the GitHub record are added. */
export interface NodeVerdict {
  status: NodeStatus;
  message: string;
  /** The node's log, printed in one group when it ends. */
  lines: string[];
  /** What changed in the node's closure, for the summary. */
  changes?: string;
  /** Failed before anything on the node changed (its copy): a rollout under `halt` goes on. */
  untouched?: boolean;
}

export interface NodeRunOptions {
  logger: Logger;
  deployments?: DeploymentRecorder;
  /** Takes the GitHub recording of a node, which runs beside its deployment. */
  background: (work: Promise<unknown>) => void;
  now: () => number;
}

/**
 * Turns an engine's work on one node into its `result` entry: timing, the GitHub deployment
 * following along, and the node's log in one folded group so parallel nodes never interleave.
 */
export function timedDeployer(
  options: NodeRunOptions,
  work: (node: DeployNode, lines: string[]) => Promise<NodeVerdict>,
): DeployOneNode {
  return async (node, wave) => {
    const { logger } = options;
    const started = options.now();
    const recording = options.deployments?.start(node.name, wave.number);
    logger.info(`▶ ${node.name}: deploying (wave ${wave.number})`);
    const lines: string[] = [];
    let verdict: NodeVerdict;
    try {
      verdict = await work(node, lines);
    } catch (error) {
      verdict = { status: 'failed', message: stringifyError(error), lines };
    }
    const finished = options.now();
    const result: NodeResult = {
      node: node.name,
      wave: wave.number,
      status: verdict.status,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
      message: verdict.message,
      ...(verdict.changes === undefined ? {} : { changes: verdict.changes }),
      ...(verdict.untouched ? { untouched: true } : {}),
    };
    if (recording) {
      options.background(
        recording.then((id) =>
          id === undefined
            ? undefined
            : options.deployments?.finish(id, node.name, verdict.status, verdict.message),
        ),
      );
    }
    await logger.group(
      `${STATUS_ICONS[verdict.status]} ${node.name}: ${verdict.status} in ${formatDuration(finished - started)}`,
      async () => {
        for (const line of verdict.lines) if (line.trim() !== '') logger.info(line);
        logger.info(`→ ${verdict.status}: ${verdict.message}`);
      },
    );
    return result;
  };
}

/** The `unchanged` verdict: the node already runs the target, so nothing was copied or activated. */
export function unchangedVerdict(running: string, lines: string[]): NodeVerdict {
  return { status: 'unchanged', message: `already runs ${running}: nothing copied or activated`, lines };
}

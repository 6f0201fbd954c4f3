import type { DeployNode } from './nodes.js';
import type { PlannedWave, RolloutPlan } from './plan.js';

export const NODE_STATUSES = [
  'deployed',
  'dry-activated',
  'failed',
  'rolled-back',
  'unhealthy',
  'skipped',
  'unchanged',
] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** One node's line of the `result` output. */
export interface NodeResult {
  node: string;
  wave: number;
  status: NodeStatus;
  /** ISO times; absent for a node that never started. */
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  message: string;
  /** What changed in the node's closure (`nix store diff-closures`), when it was known. */
  changes?: string;
  /** It failed before anything on it changed (its copy): the rollout goes on even under `halt`. */
  untouched?: boolean;
}

export function succeededStatus(status: NodeStatus): boolean {
  return status === 'deployed' || status === 'dry-activated';
}

export function failedStatus(status: NodeStatus): boolean {
  return status === 'failed' || status === 'rolled-back' || status === 'unhealthy';
}

/** Deploys one node and reports how it ended; it must not throw for a failed deployment. */
export type DeployOneNode = (node: DeployNode, wave: PlannedWave) => Promise<NodeResult>;

export interface RolloutOutcome {
  results: NodeResult[];
  /** Why nodes were left undeployed, when they were. */
  stoppedBecause?: string;
  cancelled: boolean;
}

/**
 * Runs the plan wave by wave, at most `parallel` nodes at once. A failed node under `halt`, or
 * cancellation, stops new nodes from starting; nodes already running finish (their magic rollback
 * protects the hosts better than a killed deploy would) and the rest are reported as skipped.
 * `stopped` is aborted then, its reason saying why, for what the running nodes have not begun.
 */
export async function executeRollout(
  plan: RolloutPlan,
  deployOne: DeployOneNode,
  signal: AbortSignal,
  stopped = new AbortController(),
): Promise<RolloutOutcome> {
  const results = new Map<string, NodeResult>();
  let stoppedBecause: string | undefined;
  const stop = (reason: string) => {
    if (stoppedBecause !== undefined) return;
    stoppedBecause = reason;
    stopped.abort(new Error(reason));
  };
  const cancelled = () => {
    if (signal.aborted) stop('the run was cancelled');
    return signal.aborted;
  };

  for (const wave of plan.waves) {
    if (stoppedBecause !== undefined || cancelled()) break;
    const queue = [...wave.nodes];
    const worker = async () => {
      for (;;) {
        if (stoppedBecause !== undefined || cancelled()) return;
        const node = queue.shift();
        if (node === undefined) return;
        const result = await deployOne(node, wave);
        results.set(node.name, result);
        if (failedStatus(result.status) && !result.untouched && plan.onFailure === 'halt') {
          stop(`halted after ${node.name} ${result.status === 'unhealthy' ? 'was unhealthy' : 'failed'}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(plan.parallel, wave.nodes.length) }, worker));
    // A node whose copy failed does not halt the others, but a wave none of whose nodes activated
    // (a canary whose copy failed) proved nothing for the waves after it.
    const ran = wave.nodes.map((node) => results.get(node.name)).filter((result) => result !== undefined);
    if (
      plan.onFailure === 'halt' &&
      ran.some((result) => result.untouched) &&
      ran.every((result) => result.untouched)
    ) {
      stop(`halted: no node of wave ${wave.number} could be activated, so it proved nothing`);
    }
  }

  const ordered = plan.waves.flatMap((wave) =>
    wave.nodes.map(
      (node): NodeResult =>
        results.get(node.name) ?? {
          node: node.name,
          wave: wave.number,
          status: 'skipped',
          message: `not started: ${stoppedBecause ?? 'not reached'}`,
        },
    ),
  );
  return {
    results: ordered,
    ...(stoppedBecause === undefined ? {} : { stoppedBecause }),
    cancelled: signal.aborted,
  };
}

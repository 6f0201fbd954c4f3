import type { NodeState } from './inputs.js';
import type { NodeReading } from './node-reading.js';

/** What the flake says a node should run: its system evaluated at the checked-out commit. */
export interface ExpectedSystem {
  path: string;
  /** The flake attribute it comes from. */
  attribute: string;
}

/** A node whose system does not evaluate at the checked-out commit: Nix's error, its first lines. */
export interface UnevaluableSystem {
  error: string;
}

/** One entry of the `nodes` output. */
export interface NodeStatus {
  node: string;
  state: NodeState;
  'needs-reboot': boolean;
  /** The store path the node runs; null when unknown. */
  running: string | null;
  expected: string | null;
  /** The commit flakeflow deployed what the node runs from; null when it did not deploy it. */
  commit: string | null;
  'deployed-at': string | null;
  'run-url': string | null;
  /** How many commits the deployed commit is behind the checked-out one, when behind and git can tell. */
  'behind-by': number | null;
  /** Why the node is in its state, in one line. */
  reason: string;
}

/** Where git can tell how far a commit is behind the checked-out one. */
export type CommitDistance = (commit: string) => number | undefined;

/**
 * The state of one node, the first that applies: unevaluable (the flake's system for it does not
 * evaluate; what the node runs is still shown), unreachable, drifted (runs a system no flakeflow
 * deploy put there, unless it is exactly the expected one), behind (runs an earlier deploy), needs-reboot
 * (runs another kernel, initrd or kernel modules than it booted), current.
 */
export function judgeNode(
  node: string,
  reading: NodeReading | { error: string },
  expected: ExpectedSystem | UnevaluableSystem,
  behindBy: CommitDistance,
): NodeStatus {
  if ('error' in expected) return unevaluable(node, reading, expected);
  const unknown = {
    node,
    'needs-reboot': false,
    running: null,
    expected: expected.path,
    commit: null,
    'deployed-at': null,
    'run-url': null,
    'behind-by': null,
  };
  if ('error' in reading) return { ...unknown, state: 'unreachable', reason: reading.error };
  const { running } = reading;
  if (running === undefined) {
    return { ...unknown, state: 'drifted', reason: 'runs no system yet: nothing was deployed to it' };
  }
  const deploy = reading.deploys?.find((entry) => entry.path === running);
  const needsReboot = reading.bootDiffers;
  const known = {
    ...unknown,
    'needs-reboot': needsReboot,
    running,
    commit: deploy?.commit ?? null,
    'deployed-at': deploy?.deployedAt ?? null,
    'run-url': deploy?.runUrl ?? null,
  };
  if (running !== expected.path) {
    if (deploy === undefined) {
      return {
        ...known,
        state: 'drifted',
        reason: reading.deploys
          ? 'runs a system no flakeflow deploy put there (switched by hand, or rolled back outside flakeflow)'
          : 'runs a system flakeflow never deployed: no deploy record on the node',
      };
    }
    const distance = deploy.commit === null ? undefined : behindBy(deploy.commit);
    const from = deploy.commit === null ? 'outside git' : `from ${deploy.commit.slice(0, 12)}`;
    const commits = distance === undefined ? '' : `, ${distance} commit(s) behind`;
    return {
      ...known,
      state: 'behind',
      'behind-by': distance ?? null,
      reason: `runs what flakeflow deployed ${from}${commits}, not ${expected.attribute} as it is now`,
    };
  }
  if (needsReboot) {
    return {
      ...known,
      state: 'needs-reboot',
      reason: 'runs another kernel, initrd or kernel modules than it booted: reboot to run them',
    };
  }
  return { ...known, state: 'current', reason: 'runs what the flake says' };
}

/** A node the flake cannot judge: what it runs, where it was read, and why there is nothing to compare. */
function unevaluable(
  node: string,
  reading: NodeReading | { error: string },
  expected: UnevaluableSystem,
): NodeStatus {
  const read = 'error' in reading ? undefined : reading;
  const deploy = read?.deploys?.find((entry) => entry.path === read.running);
  const unread = 'error' in reading ? `; the node could not be read either: ${reading.error}` : '';
  return {
    node,
    state: 'unevaluable',
    'needs-reboot': read?.bootDiffers ?? false,
    running: read?.running ?? null,
    expected: null,
    commit: deploy?.commit ?? null,
    'deployed-at': deploy?.deployedAt ?? null,
    'run-url': deploy?.runUrl ?? null,
    'behind-by': null,
    reason: `the flake's system for ${node} does not evaluate: ${expected.error}${unread}`,
  };
}

import type { Alert } from '../core/alert-issue.js';
import type { Annotation } from '../core/annotations.js';
import { blocks, details, heading, table } from '../core/markdown.js';
import type { FleetStatus } from './fleet-status.js';
import { NO_STATE, NODE_STATES, type NodeState } from './inputs.js';
import type { NodeStatus } from './judge.js';

export const STATE_ICONS: Record<NodeState, string> = {
  unevaluable: '❌',
  unreachable: '🔌',
  drifted: '⚠️',
  behind: '⏪',
  'needs-reboot': '🔄',
  current: '✅',
};

export const STATUS_ALERT_LABEL = 'fleet-status';

/** The states `fail-on` names; `none` names no state. */
export function failingStates(failOn: readonly string[]): NodeState[] {
  return failOn.filter((state): state is NodeState => state !== NO_STATE);
}

function shortCommit(commit: string | null): string {
  return commit === null ? '' : commit.slice(0, 7);
}

/** Why the step fails: the nodes in a state `fail-on` names. */
export function statusFailure(status: FleetStatus, failOn: readonly NodeState[]): string | undefined {
  const failing = status.nodes.filter((node) => failOn.includes(node.state));
  if (failing.length === 0) return undefined;
  return `${failing.length} node(s) ${failing.map((node) => `${node.node} (${node.state})`).join(', ')}: 'fail-on' is ${failOn.join(',')}`;
}

/** The state cell: a node behind or drifted may need a reboot as well. */
function stateText(node: NodeStatus): string {
  const reboot = node['needs-reboot'] && node.state !== 'needs-reboot' ? ' 🔄' : '';
  return `${STATE_ICONS[node.state]} ${node.state}${reboot}`;
}

function deployedText(node: NodeStatus): string {
  if (node.commit === null && node['deployed-at'] === null) return '—';
  const when = node['deployed-at']?.slice(0, 10) ?? '';
  const commit = shortCommit(node.commit);
  const behind = node['behind-by'] === null ? '' : ` (−${node['behind-by']})`;
  return [commit + behind, when].filter(Boolean).join(' · ');
}

/** One line per node that is not current, for the summary, the alert and the terminal. */
export function attentionLines(status: FleetStatus): string[] {
  return status.nodes
    .filter((node) => node.state !== 'current')
    .map((node) => `- ${STATE_ICONS[node.state]} **${node.node}** ${node.state}: ${node.reason}`);
}

/** Three narrow columns that read on a phone; the store paths fold away below. */
export function renderStatusSummary(status: FleetStatus): string {
  const headline = NODE_STATES.map(
    (state) => [state, status.nodes.filter((node) => node.state === state).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  const at = status.commit ? ` at \`${shortCommit(status.commit)}\`` : '';
  return blocks(
    heading(2, 'Fleet status'),
    `${headline}: ${status.nodes.length} node(s) against the flake${at}, read ${status.checkedAt.slice(0, 16).replace('T', ' ')} UTC.`,
    table(
      ['Node', 'State', 'Deployed'],
      status.nodes.map((node) => [node.node, stateText(node), deployedText(node)]),
    ),
    attentionLines(status).join('\n'),
    details(
      'Running and expected systems',
      table(
        ['Node', 'Running', 'Expected'],
        status.nodes.map((node) => [
          node.node,
          node.running ? `\`${node.running}\`` : '—',
          node.expected === node.running ? 'same' : node.expected ? `\`${node.expected}\`` : '—',
        ]),
      ),
    ),
  );
}

/** One annotation per node that is not current: an error when its state fails the step. */
export function statusAnnotations(status: FleetStatus, failOn: readonly NodeState[]): Annotation[] {
  return status.nodes
    .filter((node) => node.state !== 'current')
    .map((node) => ({
      level: failOn.includes(node.state) ? 'error' : 'warning',
      title: `${node.node}: ${node.state}`,
      message: node.reason,
    }));
}

/** The fleet's one alert issue: open while any node is not current. */
export function statusAlert(status: FleetStatus): Alert {
  const attention = status.nodes.filter((node) => node.state !== 'current');
  return {
    label: STATUS_ALERT_LABEL,
    title: `⚠️ ${attention.length} node(s) not current`,
    healthy: attention.length === 0,
    body:
      'flakeflow status keeps this issue up to date and closes it once every node is current again.\n\n' +
      renderStatusSummary(status),
    closing: `✅ Every node is current again at ${status.checkedAt.slice(0, 16).replace('T', ' ')} UTC`,
  };
}

/** The fields of each entry of the `nodes` output, in the order the output lists them. */
const OUTPUT_FIELDS = [
  'node',
  'state',
  'needs-reboot',
  'running',
  'expected',
  'commit',
  'deployed-at',
  'run-url',
  'behind-by',
  'reason',
] as const satisfies readonly (keyof NodeStatus)[];

/** The `nodes` output: the contract's fields, in order. */
export function statusOutput(status: FleetStatus): string {
  return JSON.stringify(
    status.nodes.map((node) => Object.fromEntries(OUTPUT_FIELDS.map((field) => [field, node[field]]))),
  );
}

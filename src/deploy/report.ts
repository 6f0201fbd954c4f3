import type { Annotation } from '../core/annotations.js';
import { blocks, codeBlock, formatDuration, heading, table } from '../core/markdown.js';
import type { DeployOutcome } from './deploy-fleet.js';
import { STATUS_ICONS } from './deploy-node.js';
import { failedStatus, type NodeResult, succeededStatus } from './rollout.js';

/** The `result`, `deployed`, `unchanged` and `failed` outputs. */
export function deployOutputs(outcome: DeployOutcome): {
  result: string;
  deployed: string;
  unchanged: string;
  failed: string;
} {
  const names = (keep: (result: NodeResult) => boolean) =>
    outcome.results
      .filter(keep)
      .map((result) => result.node)
      .join(',');
  return {
    result: JSON.stringify(outcome.results),
    deployed: names((result) => succeededStatus(result.status)),
    unchanged: names((result) => result.status === 'unchanged'),
    failed: names((result) => failedStatus(result.status)),
  };
}

/** Why the step fails, in one line; undefined when every target deployed and passed its checks. */
export function deployFailure(outcome: DeployOutcome): string | undefined {
  const failed = outcome.results.filter((result) => failedStatus(result.status));
  const skipped = outcome.results.filter((result) => result.status === 'skipped');
  const parts = [
    ...failed.map((result) => `${result.node} ${result.status}`),
    ...(skipped.length > 0
      ? [`${skipped.length} node(s) not deployed (${outcome.stoppedBecause ?? 'skipped'})`]
      : []),
  ];
  if (outcome.cancelled && failed.length === 0 && skipped.length === 0) parts.push('the run was cancelled');
  return parts.length > 0 ? `Deploy failed: ${parts.join('; ')}` : undefined;
}

/** One error annotation per node that failed, titled with the node, so the run page names them. */
export function deployAnnotations(outcome: DeployOutcome): Annotation[] {
  return outcome.results
    .filter((result) => failedStatus(result.status))
    .map((result) => ({
      level: 'error' as const,
      title: `deploy ${result.node}: ${result.status}`,
      message: result.message,
    }));
}

function headline(outcome: DeployOutcome): string {
  const count = (keep: (result: NodeResult) => boolean) => outcome.results.filter(keep).length;
  const ok = count((result) => succeededStatus(result.status));
  const failed = count((result) => failedStatus(result.status));
  const skipped = count((result) => result.status === 'skipped');
  const unchanged = count((result) => result.status === 'unchanged');
  const verb = outcome.dryActivate ? 'dry-activated' : 'deployed';
  const parts = [
    `${ok} ${verb}`,
    ...(unchanged > 0 ? [`${unchanged} unchanged`] : []),
    ...(failed > 0 ? [`${failed} failed`] : []),
    ...(skipped > 0 ? [`${skipped} skipped`] : []),
  ];
  const icon = failed > 0 || skipped > 0 || outcome.cancelled ? '❌' : '✅';
  return `${icon} Deploy: ${parts.join(', ')}`;
}

/** The job summary: a headline, one table per wave and the rollout's timeline as a Gantt chart. */
export function deploySummary(outcome: DeployOutcome): string {
  const { plan } = outcome;
  const facts = [
    `strategy **${plan.strategy}**`,
    `up to ${plan.parallel} at once`,
    `on failure ${plan.onFailure}`,
    ...(outcome.dryActivate ? ['**dry-activate**'] : []),
    formatDuration(outcome.finishedAt - outcome.startedAt),
  ].join(' · ');
  const stopped = outcome.stoppedBecause
    ? `> [!WARNING]\n> Rollout stopped: ${outcome.stoppedBecause}.`
    : undefined;
  const waves = plan.waves.map((wave) => {
    const rows = outcome.results
      .filter((result) => result.wave === wave.number)
      .map((result) => [
        `\`${result.node}\``,
        `${STATUS_ICONS[result.status]} ${result.status}`,
        result.durationMs === undefined ? '' : formatDuration(result.durationMs),
        result.message,
      ]);
    return blocks(heading(3, `Wave ${wave.number}`), table(['Node', 'Status', 'Duration', 'Message'], rows));
  });
  // deploy-rs prints `Completed dry-activate!` and exits 0 even when the dry activation script failed;
  // the switch engine fails the node on the script's exit code.
  const dryRun = outcome.dryActivate
    ? "> [!NOTE]\n> Dry run: each node's configuration was built and copied, and nothing was switched." +
      (outcome.engine === 'switch'
        ? ''
        : ' It does not prove the configuration activates: deploy-rs reports a dry activation as ' +
          'completed even when the dry activation script fails.')
    : undefined;
  return `${blocks(heading(2, headline(outcome)), facts, stopped, dryRun, ...waves, changes(outcome), heading(3, 'Timeline'), gantt(outcome))}\n`;
}

/** Per node, what changed in its closure, as `nix store diff-closures` told it. */
function changes(outcome: DeployOutcome): string | undefined {
  const changed = outcome.results.filter((result) => result.changes !== undefined);
  if (changed.length === 0) return undefined;
  return blocks(
    heading(3, 'What changed'),
    ...changed.map(
      (result) =>
        `<details><summary><code>${result.node}</code></summary>\n\n${codeBlock(result.changes as string)}\n\n</details>`,
    ),
  );
}

/** Mermaid task names cannot hold `:`, `;` or `#`. */
function taskName(text: string): string {
  return text.replace(/[:;#]/g, '_');
}

/** The rollout on a time axis relative to its start; skipped nodes never ran and are left out. */
export function gantt(outcome: DeployOutcome): string {
  const lines = ['gantt', '  dateFormat x', '  axisFormat %M:%S'];
  for (const wave of outcome.plan.waves) {
    const ran = outcome.results.filter(
      (result) => result.wave === wave.number && result.startedAt !== undefined,
    );
    if (ran.length === 0) continue;
    lines.push(`  section Wave ${wave.number}`);
    for (const result of ran) {
      const start = Date.parse(result.startedAt as string) - outcome.startedAt;
      const end = Math.max(start + 1, Date.parse(result.finishedAt as string) - outcome.startedAt);
      const tag = succeededStatus(result.status) ? 'done' : 'crit';
      lines.push(`  ${taskName(`${result.node} ${STATUS_ICONS[result.status]}`)} :${tag}, ${start}, ${end}`);
    }
  }
  return codeBlock(lines.join('\n'), 'mermaid');
}

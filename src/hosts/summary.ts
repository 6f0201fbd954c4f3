import { blocks, codeBlock, details, formatBytes, formatDuration, heading, table } from '../core/markdown.js';
import { type HostStatus, KIND_TITLES } from './host.js';
import type { HostsResult } from './list-hosts.js';
import { runnerText } from './runners.js';

export const STATUS_ICONS: Record<HostStatus, string> = {
  build: '🔨',
  unchanged: '⚪',
  cached: '📦',
  'eval-only': '🔍',
  skipped: '⏭️',
  failed: '❌',
};

function counts(result: HostsResult): string {
  const order: HostStatus[] = ['build', 'eval-only', 'unchanged', 'cached', 'skipped', 'failed'];
  const parts = order
    .map((status) => [status, result.hosts.filter((host) => host.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${STATUS_ICONS[status]} ${count} ${status === 'build' ? 'to build' : status}`);
  return parts.join(' · ');
}

/** How many evaluators ran, how many were replaced, the largest's peak, and what the limits came to. */
export function evaluatorsLine({ limits, workers }: Pick<HostsResult, 'limits' | 'workers'>): string {
  const memory = `${formatBytes(limits.maxMemoryKiB * 1024)}${limits.defaulted.maxMemory ? ' (default: memory shared by the workers, at most 4 GiB)' : ''}`;
  const slots = `${limits.workers}${limits.defaulted.workers ? ' (default: one per core)' : ''}`;
  const settings = `\`eval-workers\` ${slots}, \`eval-max-memory\` ${memory}`;
  if (!workers) return `${settings}.`;
  const replaced = workers.replaced === 1 ? 'one replaced' : `${workers.replaced} replaced`;
  const alone =
    workers.overLimitAlone.length > 0
      ? ` Over the limit alone, each in a process of its own: ${workers.overLimitAlone.map((key) => `\`${key}\``).join(', ')}.`
      : '';
  return `${settings}: ${workers.processes} evaluator processes ran, ${replaced} past the limit; the largest peaked at ${formatBytes(workers.peakKiB * 1024)}.${alone}`;
}

/** The hosts job summary: what the matrix holds, and why every other host is not in it. */
export function hostsSummary(result: HostsResult): string {
  const evaluatedCount = result.hosts.filter((host) => host.drvPath || host.error).length;
  const evaluated = `${evaluatedCount} of ${result.hosts.length} hosts evaluated by \`${result.evaluator}\` in ${formatDuration(result.durationMs)}`;
  const processes = result.processes === 1 ? 'one process' : `${result.processes} processes`;
  const base = result.base
    ? `Compared with \`${result.base.revision}\` (${result.base.commit.slice(0, 12)})${result.base.evaluated ? '' : `, which does not evaluate: every host counts as changed`}.`
    : undefined;
  const packed =
    result.matrix.length < result.count
      ? `The ${result.count} hosts share ${result.matrix.length} matrix entries (\`max-jobs\`).`
      : undefined;
  const rows = result.hosts.map((host) => [
    host.host,
    KIND_TITLES[host.kind],
    host.system ?? '',
    host.runner ? runnerText(host.runner) : '',
    `${STATUS_ICONS[host.status]} ${host.status}`,
    host.reason,
  ]);
  const failures = result.hosts
    .filter((host) => host.status === 'failed' && host.error)
    .map((host) =>
      details(`❌ <code>${host.host}</code> (${KIND_TITLES[host.kind]})`, codeBlock(host.error as string)),
    );
  return blocks(
    heading(3, 'Fleet hosts'),
    `**${counts(result) || 'no hosts'}**`,
    `${evaluated} (${processes}).`,
    evaluatorsLine(result),
    base,
    packed,
    rows.length > 0 ? table(['Host', 'Kind', 'System', 'Runner', 'Status', 'Why'], rows) : undefined,
    failures.length > 0 ? blocks(heading(4, 'Evaluation errors'), ...failures) : undefined,
  );
}

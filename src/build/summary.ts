import { blocks, codeBlock, details, formatBytes, formatDuration, heading, table } from '../core/markdown.js';
import type { BuildOutcome } from './build-hosts.js';
import type { ClosureComparison, HostBuild, PackageChange } from './build-result.js';

export const BUILD_ICONS: Record<HostBuild['status'], string> = {
  built: '✅',
  failed: '❌',
  'eval-only': '🔍',
};

export function formatDelta(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes === 0) return '±0';
  return `${bytes > 0 ? '+' : ''}${formatBytes(bytes)}`;
}

function versions(list: readonly string[]): string {
  if (list.length === 0) return '∅';
  return list.map((version) => version || 'ε').join(', ');
}

export function changesTable(changes: readonly PackageChange[]): string {
  return table(
    ['Package', 'Before', 'After', 'Size'],
    changes.map((change) => {
      const sizeOnly = change.before.length === 0 && change.after.length === 0;
      return [
        change.name,
        sizeOnly ? '' : versions(change.before),
        sizeOnly ? '' : versions(change.after),
        formatDelta(change.sizeDelta),
      ];
    }),
    ['left', 'left', 'left', 'right'],
  );
}

/** One line on how the closure compares with the revision, for tables. */
export function comparisonNote(comparison: ClosureComparison | undefined): string {
  if (!comparison) return '';
  if (comparison.status === 'new') return `new since ${comparison.revision}`;
  if (comparison.status === 'unavailable') return `no diff with ${comparison.revision}`;
  const count = comparison.changes.length;
  return count === 0 ? 'no package changes' : `${count} package${count === 1 ? '' : 's'} changed`;
}

function hostSection(result: HostBuild): string | undefined {
  const comparison = result.comparison;
  if (result.status === 'failed') {
    return details(`❌ <code>${result.host}</code> failed`, codeBlock(result.error ?? 'no message'), true);
  }
  if (!comparison) return undefined;
  if (comparison.status === 'unavailable')
    return `**${result.host}**: no closure diff with \`${comparison.revision}\`: ${comparison.reason}`;
  if (comparison.status === 'new')
    return `**${result.host}** is new: it is not in \`${comparison.revision}\`.`;
  if (comparison.changes.length === 0)
    return `**${result.host}**: no package changed since \`${comparison.revision}\`.`;
  return details(
    `<code>${result.host}</code>: ${comparisonNote(comparison)} since <code>${comparison.revision}</code>`,
    changesTable(comparison.changes),
    comparison.changes.length <= 15,
  );
}

export function buildSummary(outcome: BuildOutcome): string {
  const rows = outcome.results.map((result) => [
    result.host,
    result.system ?? '',
    `${BUILD_ICONS[result.status]} ${result.status}`,
    result.closureSize !== undefined ? formatBytes(result.closureSize) : '',
    formatDelta(result.comparison?.delta),
    result.durationMs !== undefined ? formatDuration(result.durationMs) : '',
  ]);
  const pushed = outcome.results.find((result) => result.pushedTo)?.pushedTo;
  const pushedWith = outcome.results.find((result) => result.pushedWith)?.pushedWith;
  return blocks(
    heading(3, 'Build'),
    table(['Host', 'System', 'Result', 'Closure', 'Δ', 'Time'], rows, [
      'left',
      'left',
      'left',
      'right',
      'right',
      'right',
    ]),
    ...outcome.results.map(hostSection),
    ...outcome.results
      .filter((result) => result.status === 'eval-only')
      .map((result) => `🔍 **${result.host}**: ${result.error}.`),
    pushed ? `📤 Pushed to \`${pushed}\`.` : undefined,
    pushedWith ? `📤 Pushed with \`${pushedWith}\`.` : undefined,
    ...outcome.pushFailures.map((failure) =>
      details(`❌ Pushing to ${failure.target} failed`, codeBlock(failure.error), true),
    ),
  );
}

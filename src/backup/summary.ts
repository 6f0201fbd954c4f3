import { blocks, details, formatDuration, heading, table } from '../core/markdown.js';
import type { CheckStatus, Failure, GroupReport, VerificationReport } from './verification.js';

const ICONS: Record<CheckStatus, string> = {
  passed: '✅',
  failed: '❌',
  skipped: '⏭️',
  'not-run': '➖',
  cancelled: '⏹️',
};

const GROUP_ICONS: Record<GroupReport['status'], string> = {
  fresh: '✅',
  stale: '❌ stale',
  missing: '❌ missing',
  drifted: '❌ paths drifted',
};

const TABLE_CHECKS = ['open', 'freshness', 'retention', 'integrity', 'restore'] as const;
/** Failures listed in the summary; the JSON report and the `failures` output hold every one. */
const SHOWN_FAILURES = 50;

function title(report: VerificationReport): string {
  const count = report.repositories.length;
  if (report.cancelled) return `⏹️ Backup verification cancelled: ${report.failures.length} failure(s) so far`;
  if (report.healthy)
    return `✅ Backups restorable: ${count} ${count === 1 ? 'repository' : 'repositories'} verified`;
  const broken = new Set(report.failures.map((failure) => failure.repository)).size;
  return `❌ Backups need attention: ${report.failures.length} failure(s) in ${broken} of ${count} ${count === 1 ? 'repository' : 'repositories'}`;
}

function failureTable(failures: readonly Failure[]): string {
  const rows = failures
    .slice(0, SHOWN_FAILURES)
    .map((failure) => [
      failure.repository,
      failure.group ?? '',
      failure.check,
      `\`${failure.kind}\``,
      failure.message,
    ]);
  const more =
    failures.length > SHOWN_FAILURES
      ? `\n\n…and ${failures.length - SHOWN_FAILURES} more in the JSON report.`
      : '';
  return `${table(['repository', 'group', 'check', 'kind', 'message'], rows)}${more}`;
}

function groupTable(report: VerificationReport): string | undefined {
  const rows = report.repositories.flatMap((repository) =>
    repository.groups.map((group) => [
      repository.name,
      group.label,
      group.latestSnapshot ? `\`${group.latestSnapshot}\`` : '—',
      group.ageMs !== undefined ? formatDuration(group.ageMs) : '—',
      formatDuration(group.maxAgeMs),
      group.snapshots,
      GROUP_ICONS[group.status],
    ]),
  );
  if (rows.length === 0) return undefined;
  return table(['repository', 'group', 'latest', 'age', 'allowed', 'snapshots', ''], rows, [
    'left',
    'left',
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
}

function notesBlock(report: VerificationReport): string | undefined {
  const lines = report.repositories.flatMap((repository) =>
    repository.checks.flatMap((check) =>
      (check.notes ?? []).map(
        (note) => `- **${repository.name}** · ${check.check}: ${note.replace(/\r?\n/g, ' ')}`,
      ),
    ),
  );
  return lines.length > 0 ? details('Details per check', lines.join('\n')) : undefined;
}

/** The job summary: repositories × checks with ✅/❌, the failures, then the age of every group's latest snapshot. */
export function renderSummary(report: VerificationReport): string {
  const matrix = table(
    ['repository', ...TABLE_CHECKS],
    report.repositories.map((repository) => [
      `**${repository.name}**`,
      ...TABLE_CHECKS.map((name) => {
        const check = repository.checks.find((candidate) => candidate.check === name);
        if (!check) return '';
        return check.status === 'not-run' ? ICONS['not-run'] : `${ICONS[check.status]} ${check.detail}`;
      }),
    ]),
    ['left', 'center', 'center', 'center', 'center', 'center'],
  );
  const groups = groupTable(report);
  const footer = `restic: ${report.restic ?? 'unknown'} · started ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return blocks(
    heading(3, title(report)),
    matrix,
    report.failures.length > 0 && blocks(heading(4, 'Failures'), failureTable(report.failures)),
    groups && blocks(heading(4, 'Latest snapshot per group'), groups),
    notesBlock(report),
    `<sub>${footer}</sub>`,
  );
}

import { blocks, details, heading, table } from '../core/markdown.js';
import { hostsSection, inputsTable, staleSection } from './body.js';
import { isEmptyDiff } from './diff.js';
import type { AutoMergeResult } from './publish.js';
import type { GroupOutcome, LockUpdateResult } from './run.js';
import { verificationFailures } from './update.js';

const AUTO_MERGE: Record<AutoMergeResult, string> = {
  enabled: '✅ enabled',
  'already-enabled': '✅ enabled',
  merged: '✅ merged',
  'not-allowed': '⚠️ not allowed here',
  refused: '⚠️ refused',
  'skipped-draft': '— draft',
  off: '—',
};

function inputsCell(outcome: GroupOutcome): string {
  const diff = outcome.proposal?.diff;
  if (!diff || isEmptyDiff(diff)) return 'none';
  const transitive = diff.transitive.length > 0 ? ` (+${diff.transitive.length} of inputs)` : '';
  return `${diff.direct.length}${transitive}`;
}

function hostsCell(outcome: GroupOutcome): string {
  const verification = outcome.proposal?.verification;
  if (!verification || verification.level === 'none') return '—';
  const failed = verificationFailures(verification).length;
  const changed = verification.hosts.filter(
    (host) => host.status !== 'unchanged' && host.status !== 'failed',
  ).length;
  const verb = verification.level === 'build' ? 'build' : 'evaluate';
  return failed > 0
    ? `❌ ${failed} of ${verification.hosts.length} fail`
    : `✅ ${verification.hosts.length} ${verb} · ${changed} change`;
}

function pullCell(outcome: GroupOutcome): string {
  const { operation, pullRequest } = outcome.publication;
  if (!pullRequest) return outcome.publication.note;
  return `[#${pullRequest.number}](${pullRequest.url}) ${operation}${pullRequest.draft ? ' (draft)' : ''}`;
}

function groupDetails(outcome: GroupOutcome, open: boolean): string {
  const proposal = outcome.proposal;
  if (!proposal || isEmptyDiff(proposal.diff)) return '';
  const title = outcome.group ? `Group ${outcome.group}` : 'Inputs';
  return details(
    `<b>${title}</b>: ${inputsCell(outcome)} updated`,
    blocks(
      proposal.diff.direct.length > 0 && inputsTable(proposal.diff.direct, { links: true, bold: true }),
      proposal.diff.transitive.length > 0 &&
        details(
          `${proposal.diff.transitive.length} inputs of inputs`,
          inputsTable(proposal.diff.transitive, { links: true, bold: false }),
        ),
      hostsSection(proposal.verification),
    ),
    open,
  );
}

function nothingToUpdate(groups: readonly GroupOutcome[]): string {
  return groups.some((outcome) => outcome.proposal?.rewrittenOnly)
    ? 'Nothing to update: Nix rewrote flake.lock in its newer format (such as git refs `main` → `refs/heads/main`) but no input moved.'
    : 'Nothing to update: every input is already at its newest revision.';
}

/** The job summary: one row per group, then each group's inputs and hosts, then stale inputs. */
export function renderSummary(
  result: LockUpdateResult,
  options: { dryRun: boolean; staleDays: number },
): string {
  const grouped = result.groups.some((outcome) => outcome.group !== undefined);
  const rows = result.groups.map((outcome) => [
    ...(grouped ? [outcome.group ?? ''] : []),
    inputsCell(outcome),
    hostsCell(outcome),
    pullCell(outcome),
    AUTO_MERGE[outcome.publication.autoMerge],
  ]);
  const header = [...(grouped ? ['Group'] : []), 'Inputs updated', 'Hosts', 'Pull request', 'Auto-merge'];
  const changed = result.groups.filter((outcome) => outcome.proposal && !isEmptyDiff(outcome.proposal.diff));
  return blocks(
    heading(2, `🔄 flake.lock update${options.dryRun ? ' (dry run: nothing pushed)' : ''}`),
    result.failure !== undefined && `❌ ${result.failure.split('\n')[0]}`,
    table(header, rows),
    changed.length === 0 && nothingToUpdate(result.groups),
    ...changed.map((outcome, index) => groupDetails(outcome, index === 0 && changed.length === 1)),
    staleSection(result.stale, options.staleDays),
  );
}

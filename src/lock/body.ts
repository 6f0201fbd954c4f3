import { blocks, codeBlock, details, GITHUB_BODY_LIMIT, heading, table } from '../core/markdown.js';
import type { FollowsChange, InputChange, LockedRevision, StaleInput } from './diff.js';
import type { SourceSwitchKind } from './sources.js';
import type { HostCheck, LockProposal, Verification } from './update.js';
import { verificationFailures } from './update.js';
import type { HostKind } from './verify.js';

/** What a pull request body is made of, beyond the proposal itself. */
export interface BodyContext {
  proposal: LockProposal;
  stale: readonly StaleInput[];
  /** The `path` input: where the flake lives in the repository. */
  flakePath: string;
  /** The workflow run that made the update. */
  runUrl?: string;
  /** The `stale-days` input, to say what counts as stale. */
  staleDays?: number;
}

/** Marks the bodies flakeflow writes, so a person reading the source knows where they come from. */
export const BODY_MARKER = '<!-- flakeflow:lock-update -->';

const KIND_NAMES: Record<HostKind, string> = {
  nixos: 'NixOS',
  darwin: 'nix-darwin',
  'home-manager': 'Home Manager',
};
const ERROR_CHARS = 4_000;
const ERRORS_SHOWN = 5;

export function shortRev(rev: string): string {
  return rev.slice(0, 7);
}

function day(date: string | undefined): string | undefined {
  return date?.slice(0, 10);
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function describeRevision(
  revision: LockedRevision | undefined,
  kind: 'from' | 'to',
  change: InputChange,
): string {
  if (!revision) return kind === 'from' ? '*(new input)*' : '*(removed)*';
  const id = revision.rev
    ? `\`${shortRev(revision.rev)}\``
    : revision.narHash
      ? `\`${revision.narHash.replace(/^sha256-/, '').slice(0, 8)}\``
      : change.type;
  const when = day(revision.date);
  return when ? `${id} · ${when}` : id;
}

/** Calendar days between the two dates shown, so a reader can check it against them. */
export function formatDaysGained(days: number | undefined): string {
  if (days === undefined) return '';
  const whole = Math.round(days);
  return whole < 0 ? `⚠️ ${whole}` : `+${whole}`;
}

/** Other paths and notes of a row are named up to this many; the rest are counted. */
const NAMED_IN_ROW = 4;

function namedList(items: readonly string[]): string {
  const shown = items.slice(0, NAMED_IN_ROW).join(', ');
  return items.length > NAMED_IN_ROW ? `${shown} and ${items.length - NAMED_IN_ROW} more` : shown;
}

function followed(path: string): string {
  return path === '' ? 'the flake itself' : `\`${path}\``;
}

export function followsNote(change: FollowsChange): string {
  if (change.from !== undefined && change.to !== undefined) {
    return `\`${change.path}\` now follows ${followed(change.to)}, was ${followed(change.from)}`;
  }
  if (change.to !== undefined) return `\`${change.path}\` now follows ${followed(change.to)}`;
  return `\`${change.path}\` no longer follows ${followed(change.from ?? '')}`;
}

const SWITCH_KINDS: Record<SourceSwitchKind, string> = {
  spelling: ' (the same repository, spelt differently)',
  fetcher: ' (the same repository, fetched another way)',
  fork: ' (another owner’s repository of that name)',
  repository: '',
};

export function sourceNote(change: InputChange): string | undefined {
  if (!change.source) return undefined;
  const { from, to, kind } = change.source;
  return `source changed from \`${from}\` to \`${to}\`${SWITCH_KINDS[kind]}`;
}

/** The lines under a row's name: the other paths reaching the node, a source change, follows changes. */
export function rowNotes(change: InputChange): string[] {
  const others = change.paths.slice(1).map((path) => `\`${path}\``);
  const follows = (change.follows ?? []).map(followsNote);
  return [
    ...(others.length > 0 ? [`also ${namedList(others)}`] : []),
    ...(change.source ? [sourceNote(change) as string] : []),
    ...(follows.length > 0 ? [namedList(follows)] : []),
  ];
}

function inputLabel(change: InputChange, bold: boolean, notes: boolean): string {
  const name = bold ? `**${change.input}**` : `\`${change.input}\``;
  const ref = change.to ? change.to.ref : change.from?.ref;
  const label = ref ? `${name} (${ref})` : name;
  return notes ? [label, ...rowNotes(change)].join('\n') : label;
}

function changesLink(change: InputChange): string {
  if (change.kind === 'source-changed' && change.commits) {
    const { from, to } = change.commits;
    return [from && `[before](${from})`, to && `[after](${to})`].filter(Boolean).join(' · ');
  }
  if (!change.url) return '';
  return change.kind === 'updated' && change.from?.rev && change.to?.rev
    ? `[compare](${change.url})`
    : `[source](${change.url})`;
}

export function inputsTable(
  changes: readonly InputChange[],
  options: { links: boolean; bold: boolean },
): string {
  const header = ['Input', 'From', 'To', 'Days gained', ...(options.links ? ['Changes'] : [])];
  const rows = changes.map((change) => [
    inputLabel(change, options.bold, options.links),
    describeRevision(change.from, 'from', change),
    describeRevision(change.to, 'to', change),
    formatDaysGained(change.daysGained),
    ...(options.links ? [changesLink(change)] : []),
  ]);
  return table(header, rows, ['left', 'left', 'left', 'right', 'left']);
}

function plainInputs(changes: readonly InputChange[]): string {
  return changes
    .map((change) => {
      const from = change.from?.rev ? shortRev(change.from.rev) : change.from ? '…' : 'new';
      const to = change.to?.rev ? shortRev(change.to.rev) : change.to ? '…' : 'removed';
      const others = change.paths.length > 1 ? ` (+${change.paths.length - 1} paths)` : '';
      return `\`${change.input}\`${others} ${from} → ${to}`;
    })
    .join(' · ');
}

function verb(verification: Verification): string {
  return verification.level === 'build' ? 'build' : 'evaluate';
}

function hostResult(host: HostCheck, verification: Verification): string {
  switch (host.status) {
    case 'failed':
      return `❌ does not ${verb(verification)}`;
    case 'changed':
      return '🔄 changes';
    case 'new':
      return '🆕 new host';
    case 'fixed':
      return '✅ fixed (failed before)';
    case 'unchanged':
      return 'unchanged';
  }
}

function errorDetails(failures: readonly HostCheck[]): string {
  return failures
    .slice(0, ERRORS_SHOWN)
    .map((host) => {
      const text = host.error ?? '';
      const shown =
        text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS)}\n… (cut; see the workflow log)` : text;
      return details(`Nix's error for <code>${host.host}</code>`, codeBlock(shown), failures.length === 1);
    })
    .join('\n\n');
}

/** The hosts part: which hosts' derivations this lock changes, and which no longer work. */
export function hostsSection(verification: Verification, form: 'table' | 'count' = 'table'): string {
  if (verification.level === 'none') {
    return `${heading(3, 'Hosts')}\n\nNot evaluated (\`verify: none\`): this update was not checked against the fleet.`;
  }
  const hosts = verification.hosts;
  const failures = verificationFailures(verification);
  const changed = hosts.filter((host) => host.status !== 'unchanged' && host.status !== 'failed');
  const unchanged = hosts.filter((host) => host.status === 'unchanged');
  const headline =
    failures.length > 0
      ? `❌ ${plural(failures.length, 'host')} of ${hosts.length} ${failures.length === 1 ? 'does' : 'do'} not ${verb(verification)} with this lock`
      : `✅ All ${plural(hosts.length, 'host')} ${verb(verification)} with this lock`;
  const summary = `${headline} · ${changed.length === 0 ? 'no derivation changes' : `${plural(changed.length, 'derivation')} ${changed.length === 1 ? 'changes' : 'change'}`}`;
  const listed = [...failures, ...changed];
  const body =
    form === 'table' && listed.length > 0
      ? table(
          ['Host', 'Kind', 'With this lock'],
          listed.map((host) => [`\`${host.host}\``, KIND_NAMES[host.kind], hostResult(host, verification)]),
        )
      : listed.length > 0
        ? listed.map((host) => `\`${host.host}\``).join(', ')
        : '';
  const skipped = hosts.filter((host) => host.buildSkipped);
  return blocks(
    heading(3, 'Hosts'),
    summary,
    body,
    unchanged.length > 0 &&
      form === 'table' &&
      `Unchanged: ${unchanged.map((host) => `\`${host.host}\``).join(', ')}`,
    skipped.length > 0 &&
      `Evaluated but not built here: ${skipped.map((host) => `\`${host.host}\` (${host.buildSkipped})`).join(', ')}`,
    verification.baselineError !== undefined &&
      '⚠️ The fleet did not evaluate with the old lock either, so every host that works now is listed as fixed.',
    failures.length > 0 && errorDetails(failures),
  );
}

export function staleSection(stale: readonly StaleInput[], staleDays?: number): string {
  if (stale.length === 0) return '';
  const rows = stale.map((input) => [
    `\`${input.input}\``,
    input.rev
      ? input.url
        ? `[\`${shortRev(input.rev)}\`](${input.url})`
        : `\`${shortRev(input.rev)}\``
      : '',
    day(input.date),
    `${input.ageDays} days`,
  ]);
  const limit = staleDays ? `more than ${staleDays} days old` : 'old';
  return blocks(
    heading(3, '⚠️ Stale inputs'),
    `Still locked to a revision ${limit} after this update: does the input follow a branch nobody maintains any more?`,
    table(['Input', 'Locked at', 'Date', 'Age'], rows),
  );
}

function footer(context: BodyContext): string {
  const run = context.runUrl ? `[this workflow run](${context.runUrl})` : 'a scheduled workflow';
  return [
    '---',
    `<sub>🤖 Made by flakeflow lock-update in ${run}. To pause these updates, disable that workflow ` +
      '(Actions → the workflow → ··· → Disable workflow, or `gh workflow disable`). Closing this pull request ' +
      'only skips this update: the next run proposes a new one.</sub>',
    BODY_MARKER,
  ].join('\n');
}

interface Detail {
  transitive: 'table' | 'plain' | 'count';
  directLinks: boolean;
  hosts: 'table' | 'count';
  /** How many direct inputs get a row; the rest are counted. */
  directRows: number;
}

function intro(context: BodyContext): string {
  const { diff, plan } = context.proposal;
  const where = context.flakePath === '.' || context.flakePath === '' ? '' : ` in \`${context.flakePath}\``;
  const group = plan.group ? ` (group **${plan.group}**)` : '';
  const direct = plural(diff.direct.length, 'input');
  const transitive =
    diff.transitive.length > 0 ? ` and ${plural(diff.transitive.length, 'input')} of inputs` : '';
  return `Updates ${direct}${transitive} of the flake${where}${group}.`;
}

function verificationAlert(context: BodyContext): string {
  const failures = verificationFailures(context.proposal.verification);
  if (failures.length === 0) return '';
  const names = failures.map((host) => `\`${host.host}\``).join(', ');
  return [
    '> [!CAUTION]',
    `> This lock breaks ${names}: Nix's error is below. The pull request stays a draft and is not merged;`,
    '> the next run replaces it once the inputs are fixed upstream.',
  ].join('\n');
}

/** The inputs of inputs, folded away: as a table, a line, or only counted when even that is too long. */
export function transitiveSection(
  changes: readonly InputChange[],
  form: Detail['transitive'],
  open = false,
): string {
  if (changes.length === 0) return '';
  if (form === 'count') {
    return `${plural(changes.length, 'input')} of inputs also moved: too many to list here, see flake.lock under Files changed.`;
  }
  return details(
    `${plural(changes.length, 'input')} of inputs updated`,
    form === 'table' ? inputsTable(changes, { links: true, bold: false }) : plainInputs(changes),
    open,
  );
}

function render(context: BodyContext, detail: Detail): string {
  const { diff, verification } = context.proposal;
  const shownDirect = diff.direct.slice(0, detail.directRows);
  const hiddenDirect = diff.direct.length - shownDirect.length;
  const transitive = transitiveSection(diff.transitive, detail.transitive);
  return blocks(
    intro(context),
    verificationAlert(context),
    shownDirect.length > 0 && inputsTable(shownDirect, { links: detail.directLinks, bold: true }),
    hiddenDirect > 0 && `…and ${plural(hiddenDirect, 'more input')}: see flake.lock under Files changed.`,
    transitive,
    hostsSection(verification, detail.hosts),
    staleSection(context.stale, context.staleDays),
    footer(context),
  );
}

/**
 * The pull request body: the direct inputs' table, inputs of inputs folded away, the hosts whose
 * derivation changes, stale inputs and how to pause. Detail is dropped step by step until it fits
 * GitHub's limit (65,536 characters), so a huge update still gets a body GitHub accepts.
 */
export function renderPullRequestBody(context: BodyContext, limit = GITHUB_BODY_LIMIT): string {
  const all = context.proposal.diff.direct.length;
  const steps: Detail[] = [
    { transitive: 'table', directLinks: true, hosts: 'table', directRows: all },
    { transitive: 'plain', directLinks: true, hosts: 'table', directRows: all },
    { transitive: 'count', directLinks: true, hosts: 'table', directRows: all },
    { transitive: 'count', directLinks: true, hosts: 'count', directRows: all },
    { transitive: 'plain', directLinks: false, hosts: 'table', directRows: all },
    { transitive: 'count', directLinks: false, hosts: 'table', directRows: all },
    { transitive: 'count', directLinks: false, hosts: 'count', directRows: all },
  ];
  for (const detail of steps) {
    const body = render(context, detail);
    if (body.length <= limit) return body;
  }
  let low = 0;
  let high = all;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const fits = render(context, {
      transitive: 'count',
      directLinks: false,
      hosts: 'count',
      directRows: middle,
    });
    if (fits.length <= limit) low = middle;
    else high = middle - 1;
  }
  const body = render(context, { transitive: 'count', directLinks: false, hosts: 'count', directRows: low });
  if (body.length <= limit) return body;
  const note = '\n\n…(cut to fit GitHub’s limit; see the workflow run for the rest)';
  return `${body.slice(0, limit - note.length)}${note}`;
}

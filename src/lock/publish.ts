import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { LockCommitter } from './commit.js';
import { isEmptyDiff } from './diff.js';
import type { LockUpdateGitHub, MergeMethod, PullRequest } from './github.js';
import { commitMessage, withGroup } from './message.js';
import { type LockProposal, verificationFailures } from './update.js';

export type PullRequestOperation = 'created' | 'updated' | 'closed' | 'unchanged' | 'none';

export type AutoMergeResult =
  | 'enabled'
  | 'already-enabled'
  /** GitHub said the pull request could merge at once, so it was merged directly. */
  | 'merged'
  | 'not-allowed'
  | 'refused'
  | 'skipped-draft'
  | 'off';

export interface PublishSettings {
  base: string;
  baseSha: string;
  /** flake.lock on the base branch, to tell whether the base already has the update. */
  baseLockText: string | undefined;
  lockPath: string;
  commitMessage: string;
  prTitle?: string;
  labels: readonly string[];
  reviewers: readonly string[];
  assignees: readonly string[];
  autoMerge: boolean;
  mergeMethod: MergeMethod;
  /** `on-verify-failure: draft`: a lock that breaks hosts still gets a (draft) pull request. */
  draftOnFailure: boolean;
  dispatchWorkflow?: string;
}

export interface PublishContext {
  github: LockUpdateGitHub;
  committer: LockCommitter;
  logger: Logger;
  /** Collects warnings for the step's annotations. */
  warn(message: string, title: string): void;
}

export interface Publication {
  operation: PullRequestOperation;
  pullRequest?: { number: number; url: string; draft: boolean };
  autoMerge: AutoMergeResult;
  dispatched: boolean;
  /** What happened, in a sentence, for the log and the job summary. */
  note: string;
}

/** Same inputs locked the same way, whatever the whitespace or key order of the file. */
export function sameLock(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  try {
    return JSON.stringify(sortKeys(JSON.parse(a))) === JSON.stringify(sortKeys(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

const CLOSING_COMMENT =
  'Closing: the base branch already locks these inputs at these revisions, so this update is no longer needed. ' +
  'flakeflow opens a new pull request when an input moves again.';

/**
 * Brings one group's pull request in line with its proposal: creates it, updates it with a new
 * commit on top of the current base, leaves it alone when it already holds this lock, or closes it
 * when the base already has the lock. Never opens a second pull request for the same branch.
 */
export async function publishProposal(
  proposal: LockProposal,
  body: string,
  settings: PublishSettings,
  context: PublishContext,
): Promise<Publication> {
  const { github, logger } = context;
  const { branch, group } = proposal.plan;
  const open = await github.findOpenPull(branch, settings.base);
  const nothingNew = isEmptyDiff(proposal.diff) || sameLock(proposal.newLockText, settings.baseLockText);

  if (nothingNew) {
    if (!open) {
      return none('Nothing to update: every input is already at its newest revision');
    }
    await github.comment(open.number, CLOSING_COMMENT);
    await github.updatePull(open.number, { state: 'closed' });
    await github.deleteBranch(branch);
    logger.info(`Closed #${open.number}: ${settings.base} already has this lock`);
    return {
      operation: 'closed',
      pullRequest: { number: open.number, url: open.url, draft: open.draft },
      autoMerge: 'off',
      dispatched: false,
      note: `Closed #${open.number}: ${settings.base} already has this lock`,
    };
  }

  const broken = verificationFailures(proposal.verification).length > 0;
  if (broken && !settings.draftOnFailure) {
    return none(
      open
        ? `Left #${open.number} as it was: the new lock breaks hosts (see above)`
        : 'Opened no pull request: the new lock breaks hosts (see above)',
    );
  }

  const title = withGroup(settings.prTitle || settings.commitMessage, group);
  const message = commitMessage(settings.commitMessage, group, proposal.diff);
  let pull: PullRequest;
  let operation: PullRequestOperation;
  let headSha: string;

  if (open && (await holdsProposal(open, proposal, settings, github))) {
    pull = open;
    headSha = open.headSha;
    operation = 'unchanged';
    if (open.body !== body || open.title !== title) await github.updatePull(open.number, { title, body });
    logger.info(`#${open.number} already proposes this lock on top of ${settings.base}: nothing to push`);
  } else {
    const branchExists = open !== undefined || (await github.branchHead(branch)) !== undefined;
    headSha = await context.committer.commit({
      branch,
      branchExists,
      baseSha: settings.baseSha,
      path: settings.lockPath,
      contents: proposal.newLockText,
      headline: message.headline,
      body: message.body,
    });
    logger.info(`Pushed ${headSha.slice(0, 7)} to ${branch}`);
    if (open) {
      await github.updatePull(open.number, { title, body });
      pull = { ...open, headSha, title, body };
      operation = 'updated';
    } else {
      pull = await github.createPull({ branch, base: settings.base, title, body, draft: broken });
      operation = 'created';
      await decorate(pull, settings, context);
    }
  }

  if (open && open.draft !== broken) {
    await github.markDraft(pull, broken).catch((error: unknown) => {
      context.warn(
        `Could not ${broken ? 'turn #' : 'mark #'}${pull.number}${broken ? ' into a draft' : ' ready for review'}: ${stringifyError(error)}`,
        'lock-update',
      );
    });
    pull = { ...pull, draft: broken };
  }

  const dispatched = operation === 'unchanged' ? false : await dispatch(branch, settings, context);
  const autoMerge = broken
    ? await keepFromMerging(pull, context)
    : await mergeWhenGreen(pull, headSha, settings, context);
  const what = { created: 'Opened', updated: 'Updated', unchanged: 'Kept' }[
    operation as 'created' | 'updated' | 'unchanged'
  ];
  return {
    operation,
    pullRequest: { number: pull.number, url: pull.url, draft: pull.draft },
    autoMerge,
    dispatched,
    note: `${what} #${pull.number}${broken ? ' as a draft, since the lock breaks hosts' : ''}`,
  };
}

function none(note: string): Publication {
  return { operation: 'none', autoMerge: 'off', dispatched: false, note };
}

/** The open pull request already holds this exact lock, on top of the current base. */
async function holdsProposal(
  pull: PullRequest,
  proposal: LockProposal,
  settings: PublishSettings,
  github: LockUpdateGitHub,
): Promise<boolean> {
  const parents = await github.commitParents(pull.headSha);
  if (parents.length !== 1 || parents[0] !== settings.baseSha) return false;
  return sameLock(await github.fileAt(pull.headSha, settings.lockPath), proposal.newLockText);
}

/** Labels, reviewers and assignees, on a new pull request; a refusal here warns, it does not fail. */
async function decorate(
  pull: PullRequest,
  settings: PublishSettings,
  context: PublishContext,
): Promise<void> {
  const steps: [string, () => Promise<void>][] = [
    ['label', () => context.github.addLabels(pull.number, settings.labels)],
    ['request reviews on', () => context.github.requestReviewers(pull.number, settings.reviewers)],
    ['assign', () => context.github.addAssignees(pull.number, settings.assignees)],
  ];
  for (const [doing, step] of steps) {
    try {
      await step();
    } catch (error) {
      context.warn(`Could not ${doing} #${pull.number}: ${stringifyError(error)}`, 'lock-update');
    }
  }
}

async function dispatch(
  branch: string,
  settings: PublishSettings,
  context: PublishContext,
): Promise<boolean> {
  if (!settings.dispatchWorkflow) return false;
  try {
    await context.github.dispatchWorkflow(settings.dispatchWorkflow, branch);
    context.logger.info(`Dispatched ${settings.dispatchWorkflow} on ${branch}`);
    return true;
  } catch (error) {
    context.warn(
      `Could not dispatch ${settings.dispatchWorkflow} on ${branch}, so its checks do not run: ${stringifyError(error)} ` +
        '(the workflow needs `on: workflow_dispatch`, the job `permissions: actions: write`)',
      'lock-update: dispatch-workflow',
    );
    return false;
  }
}

async function keepFromMerging(pull: PullRequest, context: PublishContext): Promise<AutoMergeResult> {
  if (pull.autoMergeEnabled) {
    await context.github.disableAutoMerge(pull).catch((error: unknown) => {
      context.warn(
        `Could not turn off auto-merge on #${pull.number}: ${stringifyError(error)}`,
        'lock-update',
      );
    });
  }
  return 'skipped-draft';
}

async function mergeWhenGreen(
  pull: PullRequest,
  headSha: string,
  settings: PublishSettings,
  context: PublishContext,
): Promise<AutoMergeResult> {
  if (!settings.autoMerge) return 'off';
  if (pull.autoMergeEnabled && pull.headSha === headSha) return 'already-enabled';
  const answer = await context.github.enableAutoMerge(pull, settings.mergeMethod, headSha);
  switch (answer.outcome) {
    case 'enabled':
      context.logger.info(`Auto-merge (${settings.mergeMethod}) enabled on #${pull.number}`);
      return 'enabled';
    case 'clean':
      await context.github.merge(pull, settings.mergeMethod, headSha);
      context.logger.info(`#${pull.number} could merge at once (no required checks pending): merged it`);
      return 'merged';
    case 'not-allowed':
      context.warn(
        `Auto-merge is not allowed in ${context.github.slug}, so #${pull.number} stays open: turn on Settings → ` +
          'General → Pull Requests → "Allow auto-merge", or set `auto-merge: false`',
        'lock-update: auto-merge',
      );
      return 'not-allowed';
    case 'refused':
      context.warn(
        `GitHub did not enable auto-merge on #${pull.number}: ${answer.message}`,
        'lock-update: auto-merge',
      );
      return 'refused';
  }
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Annotation } from '../core/annotations.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NixCli } from '../nix/cli.js';
import type { EvalPool } from '../nix/eval-workers.js';
import type { ReasonContext } from '../nix/input-fetch.js';
import { FlakeLock } from '../nix/lock-file.js';
import { renderPullRequestBody } from './body.js';
import type { LockCommitter } from './commit.js';
import { isEmptyDiff, type StaleInput, staleInputs } from './diff.js';
import type { LockUpdateGitHub, MergeMethod } from './github.js';
import { planUpdates, type UpdateGroups } from './groups.js';
import { type Publication, publishProposal } from './publish.js';
import {
  evaluateBaseline,
  LOCK_FILE,
  type LockProposal,
  proposeUpdate,
  readLockText,
  type VerifyLevel,
  verificationFailures,
} from './update.js';

export interface LockUpdateSettings {
  /** The `path` input, as given: for messages and the lock's path in the repository. */
  flakePath: string;
  flakeDir: string;
  inputs?: readonly string[];
  groups?: UpdateGroups;
  /** Empty: the repository's default branch. */
  base?: string;
  branch: string;
  commitMessage: string;
  prTitle?: string;
  labels: readonly string[];
  reviewers: readonly string[];
  assignees: readonly string[];
  autoMerge: boolean;
  mergeMethod: MergeMethod;
  verify: VerifyLevel;
  onVerifyFailure: 'fail' | 'draft';
  dispatchWorkflow?: string;
  staleDays: number;
  dryRun: boolean;
  runUrl?: string;
}

export interface LockUpdateDependencies {
  nix: NixCli;
  logger: Logger;
  /** Bounded evaluator processes for verification (eval-workers, eval-max-memory). */
  evalPool?: EvalPool;
  /** What Nix was given to fetch private inputs with, for saying why one could not be fetched. */
  access?: ReasonContext;
  /** Made only when something is pushed, so a dry run needs no token. */
  github(): { api: LockUpdateGitHub; committer: LockCommitter };
  now(): Date;
  signal?: AbortSignal;
}

export interface GroupOutcome {
  group?: string;
  branch: string;
  /** Undefined when no input matched the group. */
  proposal?: LockProposal;
  body: string;
  publication: Publication;
}

export interface LockUpdateResult {
  groups: GroupOutcome[];
  stale: StaleInput[];
  annotations: Annotation[];
  /** Set when the step must fail: a lock that breaks hosts under `on-verify-failure: fail`. */
  failure?: string;
}

function repositoryPath(flakePath: string): string {
  const parts = flakePath.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  return [...parts, LOCK_FILE].join('/');
}

function breakage(proposal: LockProposal): string | undefined {
  const failures = verificationFailures(proposal.verification);
  if (failures.length === 0) return undefined;
  const doing = proposal.verification.level === 'build' ? 'build' : 'evaluate';
  const group = proposal.plan.group ? ` (group ${proposal.plan.group})` : '';
  const [first] = failures;
  if (failures.length === 1 && first) {
    return `Host ${first.host} does not ${doing} with the updated flake.lock${group}: ${first.error ?? ''}`;
  }
  const names = failures.map((host) => host.host).join(', ');
  return `${failures.length} hosts do not ${doing} with the updated flake.lock${group} (${names}); ${first?.host}: ${first?.error ?? ''}`;
}

/**
 * The whole lock update: plan the groups, update and verify each locally with Nix, then (unless
 * this is a dry run) bring each group's pull request in line, and report.
 */
export async function runLockUpdate(
  settings: LockUpdateSettings,
  dependencies: LockUpdateDependencies,
): Promise<LockUpdateResult> {
  const { nix, logger, signal, evalPool } = dependencies;
  const lockPath = repositoryPath(settings.flakePath);
  const oldLockText = await readLockText(settings.flakeDir, settings.flakePath);
  const oldLock = FlakeLock.parse(oldLockText, lockPath);
  const plans = planUpdates({
    directInputs: oldLock.directInputNames(),
    inputs: settings.inputs,
    groups: settings.groups,
    branch: settings.branch,
    hasInputPath: (path) => oldLock.resolve(path.split('/')) !== undefined,
  });
  const local = {
    nix,
    flakeDir: settings.flakeDir,
    verify: settings.verify,
    logger,
    signal,
    evalPool,
    ...(dependencies.access ? { access: dependencies.access } : {}),
  };
  const needsBaseline = plans.some((plan) => plan.inputs === 'all' || plan.inputs.length > 0);
  const baseline = needsBaseline ? await evaluateBaseline(local) : undefined;

  const annotations: Annotation[] = [];
  // Published as annotations by whoever runs this (the runner prints them as warnings).
  const warn = (message: string, title: string) => {
    annotations.push({ level: 'warning', title, message });
  };
  const proposals: (LockProposal | undefined)[] = [];
  for (const plan of plans) {
    if (plan.inputs !== 'all' && plan.inputs.length === 0) {
      logger.info(`Group ${plan.group}: no input of this flake matches it, nothing to update`);
      proposals.push(undefined);
      continue;
    }
    proposals.push(await proposeUpdate(plan, oldLockText, baseline, local));
  }
  // With one proposal the checkout keeps its lock for later steps; several differ, so none is kept.
  const kept = proposals.filter((proposal) => proposal !== undefined);
  await writeFile(
    join(settings.flakeDir, LOCK_FILE),
    kept.length === 1 ? (kept[0]?.newLockText ?? oldLockText) : oldLockText,
  );

  const stale = findStale(oldLock, proposals, settings, dependencies.now());
  annotations.push(...stale.map((input) => staleAnnotation(input, lockPath)));

  const failures: string[] = [];
  const groups: GroupOutcome[] = [];
  let remote: Connection | undefined;
  for (const [index, plan] of plans.entries()) {
    const proposal = proposals[index];
    const outcome: GroupOutcome = {
      ...(plan.group ? { group: plan.group } : {}),
      branch: plan.branch,
      body: '',
      publication: {
        operation: 'none',
        autoMerge: 'off',
        dispatched: false,
        note: 'No input matches this group',
      },
    };
    groups.push(outcome);
    if (!proposal) continue;
    outcome.proposal = proposal;
    const broken = breakage(proposal);
    if (broken) {
      annotations.push(...breakageAnnotations(proposal, settings.onVerifyFailure));
      if (settings.onVerifyFailure === 'fail') failures.push(broken);
    }
    if (!isEmptyDiff(proposal.diff)) {
      outcome.body = renderPullRequestBody({
        proposal,
        stale: stale.filter((input) => planCovers(proposal, input.input)),
        flakePath: settings.flakePath,
        staleDays: settings.staleDays,
        ...(settings.runUrl ? { runUrl: settings.runUrl } : {}),
      });
    }
    if (settings.dryRun) {
      outcome.publication.note = isEmptyDiff(proposal.diff)
        ? 'Nothing to update: every input is already at its newest revision'
        : 'Dry run: nothing pushed, no pull request touched';
      continue;
    }
    remote ??= await connect(settings, lockPath, dependencies);
    const connection = remote;
    outcome.publication = await logger.group(`Pull request from ${plan.branch}`, () =>
      publishProposal(
        proposal,
        outcome.body,
        {
          base: connection.base,
          baseSha: connection.baseSha,
          baseLockText: connection.baseLock,
          lockPath,
          commitMessage: settings.commitMessage,
          ...(settings.prTitle ? { prTitle: settings.prTitle } : {}),
          labels: settings.labels,
          reviewers: settings.reviewers,
          assignees: settings.assignees,
          autoMerge: settings.autoMerge,
          mergeMethod: settings.mergeMethod,
          draftOnFailure: settings.onVerifyFailure === 'draft',
          ...(settings.dispatchWorkflow ? { dispatchWorkflow: settings.dispatchWorkflow } : {}),
        },
        { github: connection.api, committer: connection.committer, logger, warn },
      ),
    );
    logger.info(outcome.publication.note);
  }
  return { groups, stale, annotations, ...(failures.length > 0 ? { failure: failures.join(' · ') } : {}) };
}

interface Connection {
  api: LockUpdateGitHub;
  committer: LockCommitter;
  base: string;
  baseSha: string;
  baseLock?: string;
}

async function connect(
  settings: LockUpdateSettings,
  lockPath: string,
  dependencies: LockUpdateDependencies,
): Promise<Connection> {
  const { api, committer } = dependencies.github();
  const base = settings.base || (await api.defaultBranch());
  const baseSha = await api.branchHead(base);
  if (!baseSha) throw new UserError(`Input 'base' is '${base}', a branch ${api.slug} does not have`);
  const baseLock = await api.fileAt(baseSha, lockPath);
  return { api, committer, base, baseSha, ...(baseLock !== undefined ? { baseLock } : {}) };
}

function staleAnnotation(input: StaleInput, lockPath: string): Annotation {
  return {
    level: 'warning',
    title: 'lock-update: stale input',
    file: lockPath,
    message:
      `Input '${input.input}' is still locked to a revision from ${input.date.slice(0, 10)} ` +
      `(${input.ageDays} days old): does it follow a branch nobody maintains any more?`,
  };
}

/** One annotation per broken host, with Nix's error: errors when the step fails, else warnings. */
function breakageAnnotations(proposal: LockProposal, policy: 'fail' | 'draft'): Annotation[] {
  const doing = proposal.verification.level === 'build' ? 'build' : 'evaluate';
  return verificationFailures(proposal.verification).map((host) => ({
    level: policy === 'draft' ? 'warning' : 'error',
    title: `lock-update: ${host.host} breaks`,
    message: `${host.host} does not ${doing} with the updated flake.lock:\n${host.error ?? ''}`,
  }));
}

function planCovers(proposal: LockProposal, input: string): boolean {
  return proposal.plan.inputs === 'all' || proposal.plan.inputs.includes(input);
}

/** Inputs in scope whose lock, after the update, is still older than `stale-days`. */
function findStale(
  oldLock: FlakeLock,
  proposals: readonly (LockProposal | undefined)[],
  settings: LockUpdateSettings,
  now: Date,
): StaleInput[] {
  const stale = new Map<string, StaleInput>();
  for (const proposal of proposals) {
    if (!proposal) continue;
    const scope = proposal.plan.inputs === 'all' ? undefined : proposal.plan.inputs;
    for (const input of staleInputs(proposal.newLock, settings.staleDays, now, scope))
      stale.set(input.input, input);
  }
  if (proposals.every((proposal) => proposal === undefined)) return [];
  return oldLock.directInputNames().flatMap((name) => {
    const input = stale.get(name);
    return input ? [input] : [];
  });
}

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NixCli } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import type { EvalPool } from '../nix/eval-workers.js';
import { explainFetchFailure, type ReasonContext } from '../nix/input-fetch.js';
import { FlakeLock } from '../nix/lock-file.js';
import { diffLocks, isEmptyDiff, type LockDiff } from './diff.js';
import type { UpdatePlan } from './groups.js';
import type { VERIFY_LEVELS } from './inputs.js';
import { buildHosts, evaluateHosts, type HostEvaluation, type HostKind } from './verify.js';

export type VerifyLevel = (typeof VERIFY_LEVELS)[number];

export type HostStatus = 'changed' | 'unchanged' | 'new' | 'fixed' | 'failed';

export interface HostCheck {
  host: string;
  kind: HostKind;
  status: HostStatus;
  /** Nix's error when the host no longer evaluates or builds with the new lock. */
  error?: string;
  /** With `verify: build`: why a host was not built here. */
  buildSkipped?: string;
}

export interface Verification {
  level: VerifyLevel;
  hosts: HostCheck[];
  /** Set when the fleet did not evaluate with the old lock either, so changes cannot be told. */
  baselineError?: string;
}

export function verificationFailures(verification: Verification): HostCheck[] {
  return verification.hosts.filter((host) => host.status === 'failed');
}

/** One group's update, computed locally: the new lock, what moved, and whether the fleet still works. */
export interface LockProposal {
  plan: UpdatePlan;
  oldLockText: string;
  newLockText: string;
  newLock: FlakeLock;
  diff: LockDiff;
  verification: Verification;
  /** Nix rewrote the lock (a newer Nix's format) but moved no input: no update, the old lock stays. */
  rewrittenOnly?: boolean;
}

export interface LocalUpdateContext {
  nix: NixCli;
  flakeDir: string;
  verify: VerifyLevel;
  logger: Logger;
  /** Bounded evaluator processes for the hosts (eval-workers, eval-max-memory). */
  evalPool?: EvalPool;
  /** What Nix was given to fetch private inputs with, for saying why one could not be fetched. */
  access?: ReasonContext;
  signal?: AbortSignal;
}

export const LOCK_FILE = 'flake.lock';

export async function readLockText(flakeDir: string, label: string): Promise<string> {
  try {
    return await readFile(join(flakeDir, LOCK_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(
        `Input 'path' is '${label}', which has no flake.lock: run \`nix flake lock\` there and commit the lock file first`,
      );
    }
    throw error;
  }
}

/** The hosts' derivations with the lock as it is now, to tell later which hosts an update changes. */
export async function evaluateBaseline(context: LocalUpdateContext): Promise<HostEvaluation[] | undefined> {
  if (context.verify === 'none') return undefined;
  return context.logger.group('Evaluating every host with the current flake.lock', () =>
    evaluateHosts(context.nix, context.flakeDir, { signal: context.signal }, context.evalPool),
  );
}

/**
 * Runs one plan: restores the old lock, lets Nix update the plan's inputs, diffs the two locks and,
 * when something moved, evaluates (or builds) every host with the new lock.
 */
export async function proposeUpdate(
  plan: UpdatePlan,
  oldLockText: string,
  baseline: readonly HostEvaluation[] | undefined,
  context: LocalUpdateContext,
): Promise<LockProposal> {
  const { nix, flakeDir, logger, signal } = context;
  const lockPath = join(flakeDir, LOCK_FILE);
  await writeFile(lockPath, oldLockText);
  const names = plan.inputs === 'all' ? [] : plan.inputs;
  const what = plan.inputs === 'all' ? 'every input' : names.join(', ');
  try {
    await nix.updateLock(flakeDir, names, {
      signal,
      group: `Updating ${what}${plan.group ? ` (group ${plan.group})` : ''}`,
    });
  } catch (error) {
    if (!(error instanceof NixError) || !context.evalPool) throw error;
    const diagnosis = {
      runner: context.evalPool.runner,
      nixOptions: { nixOptions: context.evalPool.nixOptions ?? [] },
      flakeDir,
      sshKeyGiven: context.access?.sshKeyGiven ?? false,
      tokenHosts: context.access?.tokenHosts ?? [],
      ...(signal ? { signal } : {}),
    };
    throw (await explainFetchFailure(error.nixMessage, diagnosis, logger)) ?? error;
  }
  const writtenLockText = await readFile(lockPath, 'utf8');
  const oldLock = FlakeLock.parse(oldLockText);
  const diff = diffLocks(oldLock, FlakeLock.parse(writtenLockText));
  const rewrittenOnly = isEmptyDiff(diff) && writtenLockText !== oldLockText;
  if (rewrittenOnly) {
    logger.info(`Nix rewrote ${LOCK_FILE} without moving any input: keeping the lock as it was`);
    await writeFile(lockPath, oldLockText);
  }
  const newLockText = rewrittenOnly ? oldLockText : writtenLockText;
  const newLock = rewrittenOnly ? oldLock : FlakeLock.parse(writtenLockText);
  const proposal = {
    plan,
    oldLockText,
    newLockText,
    newLock,
    diff,
    ...(rewrittenOnly ? { rewrittenOnly } : {}),
  };
  if (isEmptyDiff(diff) || context.verify === 'none') {
    return { ...proposal, verification: { level: isEmptyDiff(diff) ? 'none' : context.verify, hosts: [] } };
  }
  const verification = await logger.group(
    `Verifying every host with the new lock (${context.verify})${plan.group ? ` for group ${plan.group}` : ''}`,
    () => verifyHosts(baseline ?? [], context),
  );
  return { ...proposal, verification };
}

async function verifyHosts(
  baseline: readonly HostEvaluation[],
  context: LocalUpdateContext,
): Promise<Verification> {
  const { nix, flakeDir, signal } = context;
  const evaluated = await evaluateHosts(nix, flakeDir, { signal }, context.evalPool);
  const before = new Map(baseline.map((host) => [`${host.kind}:${host.host}`, host]));
  const hosts: HostCheck[] = evaluated.map((host) => {
    const old = before.get(`${host.kind}:${host.host}`);
    const check = { host: host.host, kind: host.kind };
    if (host.error !== undefined) return { ...check, status: 'failed', error: host.error };
    if (!old) return { ...check, status: 'new' };
    if (old.error !== undefined) return { ...check, status: 'fixed' };
    return { ...check, status: old.drvPath === host.drvPath ? 'unchanged' : 'changed' };
  });
  if (context.verify === 'build') {
    const builds = await buildHosts(nix, flakeDir, evaluated, { signal });
    for (const build of builds) {
      const check = hosts.find(
        (host) => host.host === build.host && host.kind === build.kind && host.status !== 'failed',
      );
      if (!check) continue;
      if (build.error !== undefined) Object.assign(check, { status: 'failed', error: build.error });
      if (build.skipped !== undefined) check.buildSkipped = build.skipped;
    }
  }
  const baselineBroken = baseline.length > 0 && baseline.every((host) => host.error !== undefined);
  return {
    level: context.verify,
    hosts,
    ...(baselineBroken ? { baselineError: baseline[0]?.error } : {}),
  };
}

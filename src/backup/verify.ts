import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { inputPath } from '../core/workspace.js';
import type { CheckContext, CheckFailure, CheckRun } from './check-run.js';
import { freshnessCheck, groupReport, judgeFreshness } from './freshness.js';
import { integrityCheck } from './integrity-check.js';
import { displayLocation, locationSecret, type RepositoryPlan } from './plan.js';
import {
  detectResticVersion,
  Restic,
  type ResticAccess,
  ResticError,
  type ResticOptions,
  VerificationCancelled,
} from './restic.js';
import type { ResticVersion } from './restic-version.js';
import { restoreCheck } from './restore.js';
import { retentionCheck } from './retention.js';
import { createScratchSpace, type ScratchSpace } from './scratch.js';
import type {
  BackupCheck,
  CheckReport,
  FailureKind,
  RepositoryReport,
  VerificationReport,
} from './verification.js';

export interface VerifyDependencies {
  runner: ProcessRunner;
  logger: Logger;
  /** Milliseconds since the epoch; tests pin it to choose the rotate slice or age snapshots. */
  clock: () => number;
  /** The step's environment: `password-env` and `env` variables are read here; PATH and HOME reach restic. */
  environment: Record<string, string | undefined>;
  /** Aborted when the runner cancels the job. */
  signal?: AbortSignal;
}

export interface VerifyOptions {
  repositories: RepositoryPlan[];
  checks: BackupCheck[];
  concurrency: number;
  resticCommand: string[];
  /** Where the run's temporary restores and caches go (RUNNER_TEMP); all removed at the end. */
  scratchParent: string;
  /** Relative `password-file` paths are resolved against it. */
  workspace: string;
  /** How long `check` waits for another process's lock where restic supports `--retry-lock`. */
  lockWait?: string;
}

export const DEFAULT_LOCK_WAIT = '5m';
const FOLLOWING_CHECKS = ['freshness', 'retention', 'integrity', 'restore'] as const;
type FollowingCheck = (typeof FOLLOWING_CHECKS)[number];

const CHECKS: Record<Exclude<FollowingCheck, 'freshness'>, (context: CheckContext) => Promise<CheckRun>> = {
  retention: retentionCheck,
  integrity: integrityCheck,
  restore: restoreCheck,
};

/**
 * Verifies every repository, `concurrency` at a time, and never throws for what it finds: each
 * problem becomes a failure of its repository. A cancelled run still returns what was verified.
 */
export async function verifyBackups(
  options: VerifyOptions,
  deps: VerifyDependencies,
): Promise<VerificationReport> {
  const startedAt = new Date(deps.clock()).toISOString();
  const resticOptions: ResticOptions = {
    command: options.resticCommand,
    baseEnv: deps.environment,
    ...(deps.signal ? { signal: deps.signal } : {}),
  };
  let version: ResticVersion;
  try {
    version = await detectResticVersion(deps.runner, resticOptions);
  } catch (error) {
    if (!(error instanceof VerificationCancelled)) throw error;
    const repositories = options.repositories.map((plan) => cancelledReport(plan, options.checks));
    const finishedAt = new Date(deps.clock()).toISOString();
    return {
      healthy: false,
      cancelled: true,
      startedAt,
      finishedAt,
      checks: options.checks,
      repositories,
      failures: [],
    };
  }
  deps.logger.info(`Verifying ${options.repositories.length} repositories with ${version.text}`);
  const scratch = await createScratchSpace(options.scratchParent);
  const reports: (RepositoryReport | undefined)[] = new Array(options.repositories.length);
  try {
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < options.repositories.length; index = next++) {
        const plan = options.repositories[index] as RepositoryPlan;
        if (deps.signal?.aborted) {
          reports[index] = cancelledReport(plan, options.checks);
          continue;
        }
        // Repositories run side by side, so each is logged as one line when done rather than in a group.
        const report = await verifyRepository(plan, version, options, deps, scratch);
        reports[index] = report;
        deps.logger.info(
          `${plan.name}: ${report.checks.map((check) => `${check.check} ${check.status}`).join(', ')}`,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    await scratch.remove();
  }
  const repositories = reports.filter((report): report is RepositoryReport => report !== undefined);
  const failures = repositories.flatMap((report) => report.failures);
  const cancelled = deps.signal?.aborted ?? false;
  return {
    healthy: failures.length === 0 && !cancelled,
    cancelled,
    startedAt,
    finishedAt: new Date(deps.clock()).toISOString(),
    restic: version.text,
    checks: options.checks,
    repositories,
    failures,
  };
}

function cancelledReport(plan: RepositoryPlan, checks: readonly BackupCheck[]): RepositoryReport {
  return {
    name: plan.name,
    location: displayLocation(plan.location),
    checks: (['open', ...FOLLOWING_CHECKS] as const).map((check) => ({
      check,
      status: check === 'open' || checks.includes(check) ? 'cancelled' : 'not-run',
      detail: check === 'open' || checks.includes(check) ? 'cancelled' : 'not asked for',
    })),
    groups: [],
    failures: [],
    durationMs: 0,
  };
}

/** The kind of failure a restic error means for `check`: its own kind unless restic only said "failed". */
function failureKind(error: ResticError, check: BackupCheck): FailureKind {
  if (error.kind !== 'failed') return error.kind;
  if (check === 'open' || check === 'freshness') return 'unreachable';
  return check;
}

async function verifyRepository(
  plan: RepositoryPlan,
  version: ResticVersion,
  options: VerifyOptions,
  deps: VerifyDependencies,
  scratch: ScratchSpace,
): Promise<RepositoryReport> {
  const started = deps.clock();
  const report: RepositoryReport = {
    name: plan.name,
    location: displayLocation(plan.location),
    checks: [],
    groups: [],
    failures: [],
    durationMs: 0,
  };
  const fail = (failure: CheckFailure) => report.failures.push({ repository: plan.name, ...failure });
  const finish = (status: CheckReport['status'], detail: string, from: number) => {
    for (const check of FOLLOWING_CHECKS.slice(from)) {
      const asked = options.checks.includes(check);
      report.checks.push({
        check,
        status: asked ? status : 'not-run',
        detail: asked ? detail : 'not asked for',
      });
    }
    report.durationMs = deps.clock() - started;
    return report;
  };

  const access = await resolveAccess(plan, options, deps, scratch);
  if ('message' in access) {
    fail({ check: 'open', kind: 'wrong-password', message: access.message });
    report.checks.push({ check: 'open', status: 'failed', detail: 'no password' });
    return finish('skipped', 'not opened', 0);
  }
  const restic = new Restic(
    deps.runner,
    access,
    {
      command: options.resticCommand,
      baseEnv: deps.environment,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
    version,
  );

  let context: CheckContext;
  try {
    const config = await restic.catConfig();
    report.repositoryId = config.id;
    const snapshots = await restic.snapshots();
    const now = deps.clock();
    const freshness = judgeFreshness(snapshots, plan, now);
    report.groups = freshness.map(groupReport);
    report.checks.push({
      check: 'open',
      status: 'passed',
      detail: `format v${config.version}, ${snapshots.length} snapshots`,
    });
    context = {
      plan,
      restic,
      snapshots,
      freshness,
      now,
      scratchDir: await scratch.directory(plan.name),
      lockWait: options.lockWait ?? DEFAULT_LOCK_WAIT,
      logger: deps.logger,
    };
  } catch (error) {
    if (error instanceof VerificationCancelled) {
      report.checks.push({ check: 'open', status: 'cancelled', detail: 'cancelled' });
      return finish('cancelled', 'cancelled', 0);
    }
    if (!(error instanceof ResticError)) throw error;
    fail({ check: 'open', kind: failureKind(error, 'open'), message: error.resticText });
    report.checks.push({ check: 'open', status: 'failed', detail: failureKind(error, 'open') });
    return finish('skipped', 'not opened', 0);
  }

  for (const [index, check] of FOLLOWING_CHECKS.entries()) {
    if (!options.checks.includes(check)) {
      report.checks.push({ check, status: 'not-run', detail: 'not asked for' });
      continue;
    }
    try {
      const run =
        check === 'freshness'
          ? freshnessCheck(context.freshness, plan.groups.length === 0)
          : await CHECKS[check](context);
      report.checks.push(run.report);
      run.failures.forEach(fail);
    } catch (error) {
      if (error instanceof VerificationCancelled) {
        report.checks.push({ check, status: 'cancelled', detail: 'cancelled' });
        return finish('cancelled', 'cancelled', index + 1);
      }
      if (!(error instanceof ResticError)) throw error;
      fail({ check, kind: failureKind(error, check), message: error.resticText });
      report.checks.push({ check, status: 'failed', detail: failureKind(error, check) });
    }
  }
  report.durationMs = deps.clock() - started;
  return report;
}

/**
 * The password reaches restic through its environment only: a file or command restic reads itself,
 * or a variable's value. Every value that could show it is masked first.
 */
async function resolveAccess(
  plan: RepositoryPlan,
  options: VerifyOptions,
  deps: VerifyDependencies,
  scratch: ScratchSpace,
): Promise<ResticAccess | { message: string }> {
  const urlSecret = locationSecret(plan.location);
  if (urlSecret) deps.logger.mask(urlSecret);
  const env: Record<string, string> = {};
  for (const name of plan.env) {
    const value = deps.environment[name];
    if (value !== undefined) env[name] = value;
    else deps.logger.warning(`${plan.name}: env names ${name}, which is not set in the step's environment`);
  }
  const base = { repository: plan.location, env, cacheDir: await scratch.directory('cache') };
  const { password } = plan;
  if ('env' in password) {
    const value = deps.environment[password.env];
    if (value === undefined || value === '') {
      return { message: `password-env names ${password.env}, which is not set in the step's environment` };
    }
    deps.logger.mask(value);
    // A file restic alone reads, not RESTIC_PASSWORD, which its ssh or rclone children would inherit.
    const file = join(await scratch.directory('passwords'), plan.name.replace(/[^A-Za-z0-9._-]/g, '_'));
    await writeFile(file, value, { mode: 0o600 });
    await chmod(file, 0o600);
    return { ...base, password: { file } };
  }
  if ('file' in password) {
    const file = inputPath(options.workspace, 'password-file', password.file);
    try {
      deps.logger.mask((await readFile(file, 'utf8')).trim());
    } catch {
      // restic reports an unreadable password file itself, as the wrong-password failure it is.
    }
    return { ...base, password: { file } };
  }
  return { ...base, password: { command: password.command } };
}

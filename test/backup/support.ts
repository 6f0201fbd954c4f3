import { readdir } from 'node:fs/promises';
import { repositoryShape } from '../../src/backup/config.js';
import { planRepository, type RepositoryPlan } from '../../src/backup/plan.js';
import type { BackupCheck, RepositoryReport, VerificationReport } from '../../src/backup/verification.js';
import { verifyBackups } from '../../src/backup/verify.js';
import { RecordingLogger } from '../../src/core/logger.js';
import type { ProcessRunner } from '../../src/core/process.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import type { ResticLab, TestRepository } from './restic-fixtures.js';

/** A repository entry as a user writes it in `repositories`, parsed by the real schema. */
export function plan(repository: TestRepository, extra: Record<string, unknown> = {}): RepositoryPlan {
  return planRepository(
    repositoryShape.parse({
      name: repository.name,
      repository: repository.location,
      'password-file': repository.passwordFile,
      ...extra,
    }),
  );
}

export interface VerifyRun {
  report: VerificationReport;
  logger: RecordingLogger;
}

export async function verify(
  lab: ResticLab,
  repositories: RepositoryPlan[],
  options: {
    checks?: BackupCheck[];
    concurrency?: number;
    now?: number;
    environment?: Record<string, string | undefined>;
    runner?: (logger: RecordingLogger) => ProcessRunner;
    signal?: AbortSignal;
    resticCommand?: string[];
    lockWait?: string;
  } = {},
): Promise<VerifyRun> {
  const logger = new RecordingLogger();
  const report = await verifyBackups(
    {
      repositories,
      checks: options.checks ?? ['open', 'freshness', 'retention', 'integrity', 'restore'],
      concurrency: options.concurrency ?? 2,
      resticCommand: options.resticCommand ?? ['restic'],
      scratchParent: lab.path('runner-temp'),
      workspace: lab.root,
      ...(options.lockWait ? { lockWait: options.lockWait } : {}),
    },
    {
      runner: options.runner ? options.runner(logger) : new SpawnProcessRunner(logger),
      logger,
      clock: () => options.now ?? Date.now(),
      environment: { ...process.env, TZ: 'UTC', ...options.environment },
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return { report, logger };
}

export function repositoryIn(report: VerificationReport, name: string): RepositoryReport {
  const found = report.repositories.find((repository) => repository.name === name);
  if (!found)
    throw new Error(`no report for ${name}: ${JSON.stringify(report.repositories.map((r) => r.name))}`);
  return found;
}

export function statusOf(report: VerificationReport, name: string): Record<string, string> {
  return Object.fromEntries(repositoryIn(report, name).checks.map((check) => [check.check, check.status]));
}

/** What the run left in its scratch parent: nothing, once it removed its temp data. */
export async function leftovers(lab: ResticLab): Promise<string[]> {
  return (await readdir(lab.path('runner-temp')).catch(() => [])).filter((name) =>
    name.startsWith('flakeflow-backup-scratch-'),
  );
}

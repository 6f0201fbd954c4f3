import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import type { NixCli } from '../nix/cli.js';
import type { HostBackupFacts } from '../nix/fleet.js';
import { readHostBackups } from '../nix/fleet-backups.js';
import { explainingFetchFailures, InputFetchError, type ReasonContext } from '../nix/input-fetch.js';
import { mergeJobs } from './jobs.js';
import type { RepositoryPlan } from './plan.js';
import { resticBackupJob } from './services.js';

export interface FlakeHostSource {
  host: string;
  /** The flake's directory. */
  flake: string;
  nix: NixCli;
  /** The process runner `nix` runs on, and the access it was given, for naming an input it cannot fetch. */
  runner: ProcessRunner;
  nixAccess: ReasonContext;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Reads `nixosConfigurations.<host>.config.services.restic.backups` and adds each job as an
 * expectation (its host, tag, paths, pruning policy and schedule) to the repository that holds it.
 * Snapshots that lack the job's group, or hold other paths than the job now backs up, then fail.
 */
export async function flakeHostPlans(
  plans: readonly RepositoryPlan[],
  source: FlakeHostSource,
): Promise<RepositoryPlan[]> {
  let found: HostBackupFacts;
  const signal = source.signal ? { signal: source.signal } : {};
  try {
    // Its one error line names every input Nix could not fetch, and why.
    found = await explainingFetchFailures(readHostBackups(source.nix, source.flake, source.host, signal), {
      runner: source.runner,
      flakeDir: source.flake,
      ...source.nixAccess,
      ...signal,
    });
  } catch (error) {
    if (error instanceof InputFetchError) throw error;
    if (!(error instanceof UserError)) throw error;
    throw new UserError(
      `Input 'flake-host' '${source.host}' could not be read from the flake at ${source.flake}: ${error.message}`,
    );
  }
  const host = found.hostName ?? source.host;
  const jobs = Object.entries(found.jobs).map(([name, job]) =>
    resticBackupJob(name, { ...job }, host, 'flake'),
  );
  if (jobs.length === 0) {
    source.logger.warning(`nixosConfigurations.${source.host} configures no services.restic.backups`);
  }
  return mergeJobs(plans, jobs, source.logger);
}

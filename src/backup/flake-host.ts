import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { installable, type NixCli } from '../nix/cli.js';
import { mergeJobs } from './jobs.js';
import type { RepositoryPlan } from './plan.js';
import { resticBackupJob } from './services.js';

export interface FlakeHostSource {
  host: string;
  /** The flake's directory. */
  flake: string;
  nix: NixCli;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Only the options verification needs, so options holding functions or packages (`backupPrepareCommand`,
 * `package`) are never forced into JSON.
 */
const SELECT_BACKUPS = `config: {
  hostName = config.networking.hostName or null;
  backups = builtins.mapAttrs (name: job: {
    repository = job.repository or null;
    passwordFile = job.passwordFile or null;
    paths = job.paths or null;
    pruneOpts = job.pruneOpts or [ ];
    extraBackupArgs = job.extraBackupArgs or [ ];
    timerConfig = job.timerConfig or null;
  }) (config.services.restic.backups or { });
}`;

interface HostBackups {
  hostName: string | null;
  backups: Record<string, Record<string, unknown>>;
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
  const target = installable(source.flake, ['nixosConfigurations', source.host, 'config']);
  let found: HostBackups;
  try {
    found = await source.nix.evalJson<HostBackups>(target, {
      apply: SELECT_BACKUPS,
      ...(source.signal ? { signal: source.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(
      `Input 'flake-host' '${source.host}' could not be read from the flake at ${source.flake}: ${error.message}`,
    );
  }
  const host = found.hostName ?? source.host;
  const jobs = Object.entries(found.backups).map(([name, job]) => resticBackupJob(name, job, host, 'flake'));
  if (jobs.length === 0) {
    source.logger.warning(`nixosConfigurations.${source.host} configures no services.restic.backups`);
  }
  return mergeJobs(plans, jobs, source.logger);
}

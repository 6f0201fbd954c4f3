import { UserError } from '../core/errors.js';
import { parseDuration } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { RetentionPolicy } from './config.js';
import {
  type BackupJob,
  maxAgeForSchedule,
  mergeJobs,
  policyFromPruneOpts,
  tagsFromBackupArgs,
} from './jobs.js';
import type { RepositoryPlan } from './plan.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(entry: string, message: string): never {
  throw new UserError(`Input 'services-json' entry '${entry}' ${message}`);
}

function strings(entry: string, field: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return fail(entry, `has ${field} that is not a list of strings`);
}

function text(entry: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && value.length > 0) return value;
  return fail(entry, `has ${field} that is not a string`);
}

const POLICY_KEYS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** `{daily: 7}`, `{keep-daily: 7}`, `{keepDaily: 7}` or restic's `--keep-*` options. */
function policy(entry: string, value: unknown): RetentionPolicy | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return policyFromPruneOpts(strings(entry, 'backup.policy', value) ?? []);
  if (!isObject(value))
    return fail(entry, 'has a backup.policy that is neither a map nor a list of --keep-* options');
  const found: RetentionPolicy = {};
  for (const key of POLICY_KEYS) {
    const count = value[key] ?? value[`keep-${key}`] ?? value[`keep${key[0]?.toUpperCase()}${key.slice(1)}`];
    if (count === undefined) continue;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      return fail(entry, `has backup.policy.${key} that is not a whole number`);
    }
    found[key] = count;
  }
  return found;
}

function maxAge(entry: string, backup: Json): number | undefined {
  const raw = backup['max-age'] ?? backup.maxAge;
  if (raw === undefined) return maxAgeForSchedule(text(entry, 'backup.schedule', backup.schedule));
  const parsed = typeof raw === 'string' ? parseDuration(raw) : undefined;
  return parsed ?? fail(entry, `has backup.max-age '${String(raw)}', expected a duration like 26h`);
}

type Always = 'name' | 'tags' | 'source';
type JobFields = Pick<BackupJob, Always> & {
  [K in Exclude<keyof BackupJob, Always>]: BackupJob[K] | undefined;
};

/** A job without its absent fields, so reports and comparisons see only what Nix said. */
function backupJob(fields: JobFields): BackupJob {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as unknown as BackupJob;
}

/** A services.json entry: `{ host?, backup: { enable, tags?, paths?, policy?, repository?, max-age?, schedule? } }`. */
function serviceJob(name: string, service: Json, host: string | undefined): BackupJob | undefined {
  const backup = service.backup;
  if (!isObject(backup)) return fail(name, 'has a backup that is not a map');
  if (backup.enable === false) return undefined;
  return backupJob({
    name: text(name, 'name', service.name) ?? name,
    host: text(name, 'host', service.host ?? service.hostname) ?? host,
    tags: strings(name, 'backup.tags', backup.tags) ?? [name],
    paths: strings(name, 'backup.paths', backup.paths),
    policy: policy(name, backup.policy),
    repository: text(name, 'backup.repository', backup.repository),
    passwordFile: text(name, 'backup.passwordFile', backup.passwordFile ?? backup['password-file']),
    maxAgeMs: maxAge(name, backup),
    source: 'services-json',
  });
}

/** An export of NixOS `services.restic.backups.<name>`: `{ repository, paths, pruneOpts, extraBackupArgs, timerConfig, passwordFile }`. */
export function resticBackupJob(
  name: string,
  job: Json,
  host: string | undefined,
  source: BackupJob['source'],
): BackupJob {
  const timer = isObject(job.timerConfig) ? job.timerConfig : {};
  return backupJob({
    name,
    host,
    tags: tagsFromBackupArgs(strings(name, 'extraBackupArgs', job.extraBackupArgs) ?? []),
    paths: strings(name, 'paths', job.paths),
    policy: policyFromPruneOpts(strings(name, 'pruneOpts', job.pruneOpts) ?? []),
    repository: text(name, 'repository', job.repository),
    passwordFile: text(name, 'passwordFile', job.passwordFile),
    maxAgeMs: maxAgeForSchedule(typeof timer.OnCalendar === 'string' ? timer.OnCalendar : undefined),
    source,
  });
}

const JOB_FIELDS = ['repository', 'paths', 'pruneOpts', 'extraBackupArgs', 'timerConfig', 'passwordFile'];

function entryJobs(name: string, value: unknown, host: string | undefined): BackupJob[] {
  if (!isObject(value)) return fail(name, 'is not a map');
  if ('backup' in value) {
    const job = serviceJob(name, value, host);
    return job ? [job] : [];
  }
  if (JOB_FIELDS.some((field) => field in value))
    return [resticBackupJob(name, value, host, 'services-json')];
  // A map of services under a host name: { homeserver: { immich: { backup: … } } }.
  if (host === undefined && Object.values(value).some((inner) => isObject(inner) && 'backup' in inner)) {
    return Object.entries(value).flatMap(([service, inner]) => entryJobs(service, inner, name));
  }
  return [];
}

/**
 * The enabled backup jobs of a services.json: a list of entries with `name`, a map from service name
 * to entry (optionally under `services`, or per host), or an export of `services.restic.backups`.
 */
export function servicesJobs(document: unknown): BackupJob[] {
  const root = isObject(document) && 'services' in document ? document.services : document;
  if (Array.isArray(root)) {
    return root.flatMap((entry, index) => {
      const name = isObject(entry) && typeof entry.name === 'string' ? entry.name : `#${index}`;
      return entryJobs(name, entry, undefined);
    });
  }
  if (isObject(root))
    return Object.entries(root).flatMap(([name, entry]) => entryJobs(name, entry, undefined));
  throw new UserError("Input 'services-json' must name a JSON list or map of services");
}

export function applyServices(
  plans: readonly RepositoryPlan[],
  document: unknown,
  logger: Logger,
): RepositoryPlan[] {
  const jobs = servicesJobs(document);
  if (jobs.length === 0) logger.warning('services-json enables no backup: no group expectation was added');
  return mergeJobs(plans, jobs, logger);
}

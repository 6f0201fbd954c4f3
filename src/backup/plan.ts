import type { IntegrityCheck, ResticRepository, RetentionPolicy, SnapshotGroup } from './config.js';

export const DEFAULT_MAX_AGE_MS = 26 * 3_600_000;
export const DEFAULT_SAMPLE = 3;

/** How a group's expected paths are used: to pick its snapshots, or to compare with what they hold. */
export type PathRole = 'select' | 'expect';

/** The snapshots one backup job is expected to write, and how fresh the newest must be. */
export interface GroupExpectation {
  host?: string;
  tags?: string[];
  paths?: string[];
  /** `select` (config groups, like restic's `--path`) or `expect` (from Nix: a difference is drift). */
  pathRole: PathRole;
  maxAgeMs: number;
  /** The job's own retention, when it differs from the repository's (services-json). */
  policy?: RetentionPolicy;
  /** Where the expectation came from, for messages: `config`, `services-json`, `flake`. */
  source: 'config' | 'services-json' | 'flake';
}

export type PasswordSource = { file: string } | { env: string } | { command: string };

/** One repository and everything expected of it, with every default applied. */
export interface RepositoryPlan {
  name: string;
  location: string;
  password: PasswordSource;
  /** Names of the step's variables restic receives (backend credentials). */
  env: string[];
  maxAgeMs: number;
  groups: GroupExpectation[];
  policy?: RetentionPolicy;
  check: IntegrityCheck;
  restore: { sample: number; canary?: string; canaryMaxAgeMs: number };
}

export function passwordSource(repository: ResticRepository): PasswordSource {
  if (repository['password-file'] !== undefined) return { file: repository['password-file'] };
  if (repository['password-env'] !== undefined) return { env: repository['password-env'] };
  return { command: repository['password-command'] as string };
}

export function configGroup(group: SnapshotGroup, maxAgeMs: number): GroupExpectation {
  return {
    ...(group.host !== undefined ? { host: group.host } : {}),
    ...(group.tags !== undefined ? { tags: group.tags } : {}),
    ...(group.paths !== undefined ? { paths: group.paths } : {}),
    pathRole: 'select',
    maxAgeMs: group['max-age'] ?? maxAgeMs,
    source: 'config',
  };
}

/** A repository from `config`/`repositories` as it will be verified. */
export function planRepository(repository: ResticRepository): RepositoryPlan {
  const maxAgeMs = repository['max-age'] ?? DEFAULT_MAX_AGE_MS;
  return {
    name: repository.name,
    location: repository.repository,
    password: passwordSource(repository),
    env: repository.env ?? [],
    maxAgeMs,
    groups: (repository.groups ?? []).map((group) => configGroup(group, maxAgeMs)),
    ...(repository.policy !== undefined ? { policy: repository.policy } : {}),
    check: repository.check ?? { mode: 'rotate' },
    restore: {
      sample: repository.restore?.sample ?? DEFAULT_SAMPLE,
      ...(repository.restore?.canary !== undefined ? { canary: repository.restore.canary } : {}),
      canaryMaxAgeMs: repository.restore?.['canary-max-age'] ?? maxAgeMs,
    },
  };
}

/** `homeserver [immich] /srv/photos`: how a group is named in the report. */
export function groupLabel(group: {
  host?: string;
  tags?: readonly string[];
  paths?: readonly string[];
}): string {
  const parts = [
    group.host ?? 'any host',
    ...(group.tags && group.tags.length > 0 ? [`[${group.tags.join(', ')}]`] : []),
    ...(group.paths && group.paths.length > 0 && !(group.tags && group.tags.length > 0)
      ? [group.paths.join(', ')]
      : []),
  ];
  return parts.join(' ');
}

/** A location fit for a report: a URL's password (rest:https://user:pass@host/) is replaced by ***. */
export function displayLocation(location: string): string {
  return location.replace(/(\/\/[^/:@\s]+:)[^/@\s]+@/, '$1***@');
}

/** The password in a location URL, which the logger must mask. */
export function locationSecret(location: string): string | undefined {
  return /\/\/[^/:@\s]+:([^/@\s]+)@/.exec(location)?.[1];
}

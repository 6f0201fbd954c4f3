import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { policyFromPruneOpts, tagsFromBackupArgs } from '../backup/jobs.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { describeExit, type ProcessRunner, succeeded } from '../core/process.js';
import type { NixCli } from '../nix/cli.js';
import { readFleetFacts } from '../nix/fleet.js';

/** One `services.restic.backups.<name>` job of a NixOS host, as far as the demo needs it. */
export interface ServiceBackup {
  host: string;
  /** The snapshots' `--host`: the host's networking.hostName. */
  hostName: string;
  service: string;
  tags: string[];
  paths: string[];
  pruneOpts: string[];
}

/** Every restic backup job of the flake's NixOS hosts, from one evaluation of the fleet model. */
export async function readServiceBackups(nix: NixCli, flakeDir: string): Promise<ServiceBackup[]> {
  const { backups = {} } = await readFleetFacts(nix, flakeDir, { backups: true });
  return Object.entries(backups).flatMap(([host, found]) =>
    Object.entries(found.jobs).map(([service, job]) => ({
      host,
      hostName: found.hostName ?? host,
      service,
      tags: tagsFromBackupArgs(job.extraBackupArgs),
      paths: job.paths ?? [],
      pruneOpts: job.pruneOpts,
    })),
  );
}

/** restic's `--time` format, `2024-06-01 09:00:00`, in UTC (restic runs with TZ=UTC here). */
function resticTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** The jobs of the host backing up the most services: one repository's worth, as a host writes it. */
export function busiestHost(jobs: readonly ServiceBackup[]): ServiceBackup[] {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.host, (counts.get(job.host) ?? 0) + 1);
  const [host] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
  return jobs.filter((job) => job.host === host);
}

export interface DemoRepository {
  /** What backup-verify's `repositories` input gets: the repository with its expectations. */
  repositoriesYaml: string;
  location: string;
  snapshots: number;
  jobs: readonly ServiceBackup[];
}

/**
 * A restic repository on this machine holding what the fleet's backup jobs would write: for each
 * job, sample files under its paths, backed up twice with the job's host and tags. The password
 * lives in a 0600 file next to it, never on a command line.
 */
export async function createDemoRepository(
  dir: string,
  jobs: readonly ServiceBackup[],
  tools: { runner: ProcessRunner; logger: Logger; signal?: AbortSignal; now?: () => number },
): Promise<DemoRepository> {
  const { runner, logger } = tools;
  const location = join(dir, 'restic-local');
  const passwordFile = join(dir, 'restic-password');
  const password = randomBytes(24).toString('base64url');
  logger.mask(password);
  await mkdir(dir, { recursive: true });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const env = {
    RESTIC_REPOSITORY: location,
    RESTIC_PASSWORD_FILE: passwordFile,
    RESTIC_CACHE_DIR: join(dir, 'cache'),
  };
  const restic = async (args: string[], cwd?: string) => {
    const result = await runner.run('restic', args, {
      env,
      ...(cwd ? { cwd } : {}),
      ...(tools.signal ? { signal: tools.signal } : {}),
    });
    if (!succeeded(result)) {
      throw new UserError(
        `restic ${args[0]} ${describeExit(result)}: ${result.stderr.trim().split('\n').at(-1)}`,
      );
    }
  };
  await restic(['init']);
  let snapshots = 0;
  // Yesterday's run and today's, as the daily timers leave them: two runs on one day would rightly
  // fail the retention check, since `--keep-daily` keeps one snapshot per day.
  const now = tools.now?.() ?? Date.now();
  for (const [day, at] of [
    ['yesterday', now - 86_400_000],
    ['today', now],
  ] as const) {
    for (const job of jobs) {
      // Relative to a stand-in for the host's root, so the snapshot holds /var/lib/… as the host's would.
      const root = join(dir, 'data', job.host);
      const paths = job.paths.map((path) => path.replace(/^\/+/, ''));
      for (const path of paths) {
        await mkdir(join(root, path), { recursive: true });
        await writeFile(join(root, path, `${job.service}.db`), `${job.service} on ${job.hostName}, ${day}\n`);
      }
      await restic(
        [
          'backup',
          '--host',
          job.hostName,
          '--time',
          resticTime(at),
          ...job.tags.flatMap((tag) => ['--tag', tag]),
          ...paths,
        ],
        root,
      );
      snapshots += 1;
    }
  }
  const policy = policyFromPruneOpts(jobs[0]?.pruneOpts ?? []);
  const repositories = [
    {
      name: 'local',
      repository: location,
      'password-file': passwordFile,
      'max-age': '26h',
      groups: jobs.map((job) => ({ host: job.hostName, tags: job.tags })),
      ...(policy ? { policy } : {}),
    },
  ];
  return { repositoriesYaml: toYaml(repositories), location, snapshots, jobs };
}

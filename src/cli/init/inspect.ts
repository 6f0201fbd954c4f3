import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RetentionPolicy } from '../../backup/config.js';
import { policyFromPruneOpts, tagsFromBackupArgs } from '../../backup/jobs.js';
import { UserError } from '../../core/errors.js';
import type { NixCli } from '../../nix/cli.js';
import { NixError } from '../../nix/errors.js';
import type { EvalPool, WorkerPoolStats } from '../../nix/eval-workers.js';
import { type FlakeCaches, readFlakeCaches } from '../../nix/flake-caches.js';
import { type FleetFacts as FlakeFacts, readFleetFacts } from '../../nix/fleet.js';
import { inspectHostsInPool } from '../../nix/fleet-pool.js';
import { type PrivateInput, privateInputs } from './private-inputs.js';

export interface InspectedHost {
  kind: 'nixos' | 'darwin' | 'home' | 'checks';
  name: string;
  /** Undefined when the host's system could not be evaluated. */
  system?: string;
}

export interface InspectedNode {
  name: string;
  hostname?: string;
  tags: string[];
}

/** One `services.restic.backups.<service>` job of a NixOS host. */
export interface InspectedBackup {
  host: string;
  hostName: string;
  service: string;
  repository?: string;
  tags: string[];
  policy?: RetentionPolicy;
  onCalendar?: string;
}

/** What `flakeflow init` fills the callers with. */
export interface FleetFacts {
  hosts: InspectedHost[];
  /** Undefined when the flake has no `deploy.nodes`. */
  deployNodes?: InspectedNode[];
  /** Systems the flake's `formatter` output covers. */
  formatterSystems: string[];
  backups: InspectedBackup[];
  /** The flake's direct inputs, from flake.lock. */
  inputs: string[];
  /** The binary caches the flake's nixConfig asks for. */
  caches: FlakeCaches;
  /** The direct inputs that look private by their URL (git+ssh, a host that is not a public forge). */
  privateInputs: PrivateInput[];
}

export interface Inspection {
  facts: FleetFacts;
  /** The evaluator pool that inspected the hosts. */
  evaluators: WorkerPoolStats;
}

/** The direct inputs flake.lock records; none when there is no lock yet. */
async function lockedInputs(flakeDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(flakeDir, 'flake.lock'), 'utf8');
  } catch {
    return [];
  }
  const lock = JSON.parse(text) as {
    root?: string;
    nodes?: Record<string, { inputs?: Record<string, unknown> }>;
  };
  return Object.keys(lock.nodes?.[lock.root ?? 'root']?.inputs ?? {}).sort();
}

/**
 * Inspects the flake in `flakeDir`: one evaluation of the fleet model for its deploy nodes and
 * formatter, and the bounded evaluator pool for every host's system and restic backups. A broken
 * node is left out; a host that does not evaluate is listed without its system.
 */
export async function inspectFlake(
  nix: NixCli,
  pool: EvalPool,
  flakeDir: string,
  signal?: AbortSignal,
): Promise<Inspection> {
  const dir = resolve(flakeDir);
  let raw: Required<Pick<FlakeFacts, 'deploy' | 'formatter'>>;
  let inspected: Awaited<ReturnType<typeof inspectHostsInPool>>;
  let caches: FlakeCaches;
  try {
    [raw, inspected, caches] = await Promise.all([
      readFleetFacts(
        nix,
        dir,
        { deploy: true, formatter: true, tolerant: true },
        signal ? { signal } : {},
      ) as Promise<typeof raw>,
      inspectHostsInPool(pool, { flakeDir: dir, ...(signal ? { signal } : {}) }),
      readFlakeCaches(nix, dir, signal),
    ]);
  } catch (error) {
    if (error instanceof NixError) {
      throw new UserError(`Could not evaluate the flake in ${dir}: ${error.nixMessage.split('\n')[0]}`);
    }
    throw error;
  }
  const backupsOf = Object.fromEntries(
    inspected.hosts.flatMap((host) =>
      'backups' in host && host.backups ? [[host.name, host.backups] as const] : [],
    ),
  );
  const backups = Object.entries(backupsOf).flatMap(([host, found]) =>
    Object.entries(found.jobs).map(([service, job]): InspectedBackup => {
      const policy = policyFromPruneOpts(job.pruneOpts);
      const onCalendar = job.timerConfig?.OnCalendar;
      return {
        host,
        hostName: found.hostName ?? host,
        service,
        ...(job.repository ? { repository: job.repository } : {}),
        tags: tagsFromBackupArgs(job.extraBackupArgs),
        ...(policy ? { policy } : {}),
        ...(typeof onCalendar === 'string' && onCalendar ? { onCalendar } : {}),
      };
    }),
  );
  const deployNodes = raw.deploy?.nodes;
  const facts: FleetFacts = {
    hosts: inspected.hosts.map((host) => ({
      kind: host.kind,
      name: host.name,
      ...('system' in host && host.system ? { system: host.system } : {}),
    })),
    ...(deployNodes
      ? {
          deployNodes: Object.entries(deployNodes).map(([name, node]) => ({
            name,
            ...(node?.hostname ? { hostname: node.hostname } : {}),
            tags: node?.tags ?? [],
          })),
        }
      : {}),
    formatterSystems: raw.formatter,
    backups,
    inputs: await lockedInputs(dir),
    caches,
    privateInputs: privateInputs(
      await readFile(join(dir, 'flake.lock'), 'utf8').catch(() => undefined),
      await readFile(join(dir, 'flake.nix'), 'utf8').catch(() => undefined),
    ),
  };
  return { facts, evaluators: inspected.stats };
}

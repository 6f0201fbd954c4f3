import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RetentionPolicy } from '../../backup/config.js';
import { policyFromPruneOpts, tagsFromBackupArgs } from '../../backup/jobs.js';
import { UserError } from '../../core/errors.js';
import { fleetExpressionPath, nixString } from '../../hosts/fleet-expression.js';
import type { NixCli } from '../../nix/cli.js';
import { NixError } from '../../nix/errors.js';
import { findCheckoutFile } from '../checkout.js';

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
}

interface RawFacts {
  hosts: { kind: InspectedHost['kind']; name: string; system: string | null }[];
  deployNodes: Record<string, { hostname: string | null; tags: string[] } | null> | null;
  formatterSystems: string[];
  backups: Record<
    string,
    {
      hostName: string | null;
      jobs: Record<
        string,
        {
          repository: string | null;
          pruneOpts: string[];
          extraBackupArgs: string[];
          onCalendar: string | null;
        }
      >;
    }
  >;
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

/** Inspects the flake in `flakeDir` with one `nix eval` of nix/cli-inspect.nix. */
export async function inspectFlake(nix: NixCli, flakeDir: string, signal?: AbortSignal): Promise<FleetFacts> {
  const dir = resolve(flakeDir);
  const expression = findCheckoutFile(join('nix', 'cli-inspect.nix'));
  if (!expression) throw new Error('cannot find nix/cli-inspect.nix above the flakeflow module');
  let raw: RawFacts;
  try {
    raw = await nix.evalJson<RawFacts>(
      {
        expr: `import ${nixString(expression)} { flake = builtins.getFlake ${nixString(dir)}; fleetHosts = ${nixString(fleetExpressionPath())}; }`,
      },
      { impure: true, ...(signal ? { signal } : {}) },
    );
  } catch (error) {
    if (error instanceof NixError) {
      throw new UserError(`Could not evaluate the flake in ${dir}: ${error.nixMessage.split('\n')[0]}`);
    }
    throw error;
  }
  const backups = Object.entries(raw.backups).flatMap(([host, found]) =>
    Object.entries(found.jobs).map(([service, job]): InspectedBackup => {
      const policy = policyFromPruneOpts(job.pruneOpts);
      return {
        host,
        hostName: found.hostName ?? host,
        service,
        ...(job.repository ? { repository: job.repository } : {}),
        tags: tagsFromBackupArgs(job.extraBackupArgs),
        ...(policy ? { policy } : {}),
        ...(job.onCalendar ? { onCalendar: job.onCalendar } : {}),
      };
    }),
  );
  return {
    hosts: raw.hosts.map((host) => ({
      kind: host.kind,
      name: host.name,
      ...(host.system ? { system: host.system } : {}),
    })),
    ...(raw.deployNodes
      ? {
          deployNodes: Object.entries(raw.deployNodes).map(([name, node]) => ({
            name,
            ...(node?.hostname ? { hostname: node.hostname } : {}),
            tags: node?.tags ?? [],
          })),
        }
      : {}),
    formatterSystems: raw.formatterSystems,
    backups,
    inputs: await lockedInputs(dir),
  };
}

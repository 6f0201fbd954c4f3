import { resolve } from 'node:path';
import { installable, type NixCli, type NixRunOptions } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import type { EvalPool } from '../nix/eval-workers.js';
import { readFleetFacts } from '../nix/fleet.js';
import { evaluateHostList } from '../nix/fleet-hosts.js';
import { evaluateFleetInPool } from '../nix/fleet-pool.js';
import { defaultAttrPath, type EvaluatedHost, type FailedHost, type HostRef } from '../nix/fleet-types.js';

export type HostKind = 'nixos' | 'darwin' | 'home-manager';

/** The fleet model's kinds of host a lock update verifies, and the names this capability gives them. */
const VERIFIED_KINDS = { nixos: 'nixos', darwin: 'darwin', home: 'home-manager' } as const;
const FLEET_KINDS = Object.keys(VERIFIED_KINDS) as (keyof typeof VERIFIED_KINDS)[];

export interface HostEvaluation {
  host: string;
  kind: HostKind;
  /** What `nix build` builds for the host, below the flake's outputs. */
  attrPath: readonly string[];
  drvPath?: string;
  /** Nix's error when the host does not evaluate. */
  error?: string;
}

export interface HostBuild {
  host: string;
  kind: HostKind;
  /** Nix's error when the build failed. */
  error?: string;
  /** Why the host was not built on this machine, e.g. it needs an aarch64-darwin builder. */
  skipped?: string;
}

/**
 * Evaluates the derivation of every NixOS, nix-darwin and Home Manager host of the flake through
 * the fleet model: all hosts in one evaluation; when that fails, each host alone so the failure
 * names the host with Nix's own error. With a pool, its bounded processes evaluate the hosts
 * instead, each error on its own host.
 */
export async function evaluateHosts(
  nix: NixCli,
  flakeDir: string,
  options: NixRunOptions = {},
  pool?: EvalPool,
): Promise<HostEvaluation[]> {
  const flake = resolve(flakeDir);
  const request = { flakeDir: flake, ...(options.signal ? { signal: options.signal } : {}) };
  let hosts: HostRef[] = [];
  let outcomes: (EvaluatedHost | FailedHost)[];
  try {
    if (pool) {
      // Each of the pool's processes lists the hosts itself.
      outcomes = (await evaluateFleetInPool(pool, { flakeDir: flake, kinds: FLEET_KINDS }, options.signal))
        .outcomes;
    } else {
      const { names = [] } = await readFleetFacts(nix, flake, { names: true, kinds: FLEET_KINDS }, options);
      hosts = names.map(({ kind, name }) => ({ kind, name }));
      outcomes = await evaluateHostList(nix, { ...request, hosts });
    }
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    // The outputs themselves do not evaluate: no host can be named, so the flake stands for them.
    return [{ host: 'nixosConfigurations', kind: 'nixos', attrPath: [], error: error.nixMessage }];
  }
  if (!pool && outcomes.some((outcome) => 'error' in outcome)) {
    outcomes = [];
    for (const host of hosts) outcomes.push(...(await evaluateHostList(nix, { ...request, hosts: [host] })));
  }
  return outcomes.map((outcome) => ({
    host: outcome.name,
    kind: VERIFIED_KINDS[outcome.kind as keyof typeof VERIFIED_KINDS],
    attrPath: 'error' in outcome ? defaultAttrPath(outcome) : outcome.attrPath,
    ...('error' in outcome ? { error: outcome.error } : { drvPath: outcome.drvPath }),
  }));
}

/** Nix ≤ 2.18: "a 'aarch64-darwin' with features {} is required to build"; later: "Required system: 'x'". */
const UNBUILDABLE_SYSTEM = [
  /a '([^']+)' with features \{[^}]*\} is required to build/,
  /Required system: '([^']+)'/,
];

function unbuildableSystem(message: string): string | undefined {
  for (const pattern of UNBUILDABLE_SYSTEM) {
    const match = pattern.exec(message);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Builds every host that evaluated. All at once first; when that fails, host by host, so each
 * failure names its host. A host this machine cannot build (a darwin host on a Linux runner without
 * a remote builder) is reported as skipped rather than failed.
 */
export async function buildHosts(
  nix: NixCli,
  flakeDir: string,
  hosts: readonly HostEvaluation[],
  options: NixRunOptions = {},
): Promise<HostBuild[]> {
  const flake = resolve(flakeDir);
  const buildable = hosts.filter((host) => host.drvPath !== undefined);
  if (buildable.length === 0) return [];
  try {
    await nix.build(
      buildable.map((host) => installable(flake, host.attrPath)),
      options,
    );
    return buildable.map((host) => ({ host: host.host, kind: host.kind }));
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
  }
  const results: HostBuild[] = [];
  for (const host of buildable) {
    try {
      await nix.build([installable(flake, host.attrPath)], options);
      results.push({ host: host.host, kind: host.kind });
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      const system = unbuildableSystem(error.nixMessage);
      results.push(
        system
          ? {
              host: host.host,
              kind: host.kind,
              skipped: `needs a ${system} builder, which this runner lacks`,
            }
          : { host: host.host, kind: host.kind, error: error.nixMessage },
      );
    }
  }
  return results;
}

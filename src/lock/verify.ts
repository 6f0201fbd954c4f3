import { resolve } from 'node:path';
import { installable, type NixCli, type NixRunOptions } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import {
  type AttrPathRecord,
  attrPathsExpression,
  type EvalPool,
  evaluateInWorkers,
} from '../nix/eval-workers.js';

export type HostKind = 'nixos' | 'darwin' | 'home-manager';

/** Where each kind of host lives in a fleet flake, and what is built for it. */
const HOST_OUTPUTS: readonly { kind: HostKind; output: string; toplevel: readonly string[] }[] = [
  { kind: 'nixos', output: 'nixosConfigurations', toplevel: ['config', 'system', 'build', 'toplevel'] },
  { kind: 'darwin', output: 'darwinConfigurations', toplevel: ['system'] },
  { kind: 'home-manager', output: 'homeConfigurations', toplevel: ['activationPackage'] },
];

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

function isMissingOutput(error: NixError, output: string): boolean {
  return /does not provide attribute/.test(error.nixMessage) && error.nixMessage.includes(output);
}

/**
 * Evaluates the derivation of every NixOS, nix-darwin and Home Manager host of the flake, in pure
 * mode as `nix build` would. One `nix eval` per kind of host; when one fails, each host of that kind
 * is evaluated alone so the failure names the host with Nix's own error. With a pool, the hosts are
 * listed and then evaluated by its bounded processes instead, each error on its own host.
 */
export async function evaluateHosts(
  nix: NixCli,
  flakeDir: string,
  options: NixRunOptions = {},
  pool?: EvalPool,
): Promise<HostEvaluation[]> {
  const flake = resolve(flakeDir);
  if (pool) return evaluateInPool(nix, flake, options, pool);
  const hosts: HostEvaluation[] = [];
  for (const { kind, output, toplevel } of HOST_OUTPUTS) {
    const drvPath = ['c', ...toplevel, 'drvPath'].join('.');
    try {
      const drvPaths = await nix.evalJson<Record<string, string>>(installable(flake, [output]), {
        ...options,
        apply: `builtins.mapAttrs (_: c: ${drvPath})`,
      });
      for (const [host, path] of Object.entries(drvPaths)) {
        hosts.push({ host, kind, attrPath: [output, host, ...toplevel], drvPath: path });
      }
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      if (isMissingOutput(error, output)) continue;
      hosts.push(...(await evaluateOneByOne(nix, flake, kind, output, toplevel, error, options)));
    }
  }
  return hosts;
}

async function evaluateInPool(
  nix: NixCli,
  flake: string,
  options: NixRunOptions,
  pool: EvalPool,
): Promise<HostEvaluation[]> {
  const listed: HostEvaluation[] = [];
  for (const { kind, output, toplevel } of HOST_OUTPUTS) {
    try {
      const names = await nix.evalJson<string[]>(installable(flake, [output]), {
        ...options,
        apply: 'builtins.attrNames',
      });
      for (const host of names) listed.push({ host, kind, attrPath: [output, host, ...toplevel] });
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      if (isMissingOutput(error, output)) continue;
      listed.push({ host: output, kind, attrPath: [output], error: error.nixMessage });
    }
  }
  const hosts = listed
    .filter((host) => host.error === undefined)
    .map((host) => ({ key: `${host.kind}/${host.host}`, attrPath: host.attrPath }));
  const { outcomes } = await evaluateInWorkers<AttrPathRecord>(
    hosts.map((host) => host.key),
    {
      runner: pool.runner,
      limits: pool.limits,
      nixOptions: pool.nixOptions,
      signal: options.signal,
      expression: attrPathsExpression(flake, hosts),
    },
  );
  const byKey = new Map(outcomes.map((outcome) => [outcome.key, outcome]));
  return listed.map((host) => {
    const outcome = byKey.get(`${host.kind}/${host.host}`);
    if (!outcome) return host;
    if ('error' in outcome) return { ...host, error: outcome.error };
    return { ...host, drvPath: outcome.record.drvPath };
  });
}

async function evaluateOneByOne(
  nix: NixCli,
  flake: string,
  kind: HostKind,
  output: string,
  toplevel: readonly string[],
  outputError: NixError,
  options: NixRunOptions,
): Promise<HostEvaluation[]> {
  let names: string[];
  try {
    names = await nix.evalJson<string[]>(installable(flake, [output]), {
      ...options,
      apply: 'builtins.attrNames',
    });
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    // The output itself does not evaluate: no host can be named, so the output stands for them.
    return [{ host: output, kind, attrPath: [output], error: outputError.nixMessage }];
  }
  const hosts: HostEvaluation[] = [];
  for (const host of names) {
    const attrPath = [output, host, ...toplevel];
    try {
      const drvPath = await nix.evalJson<string>(installable(flake, [...attrPath, 'drvPath']), options);
      hosts.push({ host, kind, attrPath, drvPath });
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      hosts.push({ host, kind, attrPath, error: error.nixMessage });
    }
  }
  return hosts;
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

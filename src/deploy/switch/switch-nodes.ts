import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import type { NixCli, NixRunOptions } from '../../nix/cli.js';
import { readFleetFacts, type ToplevelFacts } from '../../nix/fleet.js';
import type { DeployNode } from '../nodes.js';
import { DEFAULT_CURRENT_SYSTEM, DEFAULT_SYSTEM_PROFILE } from '../profile-targets.js';

/** The flake output attribute that holds the same map as the `nodes` input. */
export const FLAKE_NODES_ATTRIBUTE = 'flakeflow.nodes';
export const DEFAULT_BOOTED_SYSTEM = '/run/booted-system';

const absolutePath = z.string().regex(/^\/\S*$/, 'must be an absolute path without spaces');

/** One entry of `nodes` (or of the flake's `flakeflow.nodes`); every field is optional. */
export const switchNodeShape = z.strictObject({
  address: z.string({ error: 'must be a host name or address' }).min(1).optional(),
  'ssh-user': z.string({ error: 'must be a user name' }).min(1).optional(),
  tags: z
    .array(z.string().regex(/^[^@,\s]+$/, 'must be a name without @, commas or spaces'), {
      error: 'must be a list of strings',
    })
    .optional(),
  wave: z.int({ error: 'must be a whole number' }).min(0, 'must be 0 or more').optional(),
  profile: absolutePath.optional(),
  /** Where the node's running system is linked; only tests and unusual hosts change it. */
  'current-system': absolutePath.optional(),
  /** Where the system the node booted is linked, which `status` compares with the running one. */
  'booted-system': absolutePath.optional(),
});

export const switchNodesShape = z.record(z.string().min(1), switchNodeShape.nullable());
export type SwitchNodeEntries = z.output<typeof switchNodesShape>;

/** How a host's configuration is activated: NixOS, nix-darwin or Home Manager. */
export type SystemKind = ToplevelFacts['kind'];

/** A configuration of the flake, evaluated but not built (the fleet model's toplevel). */
export type FlakeSystem = ToplevelFacts;

/** A node of the switch engine: where it is reached and which profile it runs. */
export interface SwitchNode extends DeployNode {
  /** `sshUser` of DeployNode, always set here. */
  sshUser: string;
  profile: string;
  currentSystem: string;
  bootedSystem: string;
  kind: SystemKind;
}

/** What the switch engine needs from the flake to plan, no configuration evaluated. */
export interface SwitchFleetFacts {
  hasDeployNodes: boolean;
  /** Every configuration by name, not evaluated; a name two kinds share is the NixOS one, then nix-darwin's. */
  systems: Record<string, { kind: SystemKind }>;
  /** `flakeflow.nodes`, unchecked; null when the flake has none. */
  flakeNodes: unknown;
}

/**
 * What the switch engine plans with, in one evaluation of the fleet model that evaluates no
 * configuration: their names and kinds, the flake's `flakeflow.nodes`, and whether it has
 * `deploy.nodes` (what `engine: auto` asks).
 */
export async function readSwitchFleet(
  nix: NixCli,
  flakeDir: string,
  options: NixRunOptions = {},
): Promise<SwitchFleetFacts> {
  const facts = await readFleetFacts(
    nix,
    flakeDir,
    { names: true, hasDeployNodes: true, flakeflowNodes: true },
    options,
  );
  const systems: Record<string, { kind: SystemKind }> = {};
  for (const { kind, name } of facts.names ?? []) {
    if (kind !== 'checks' && systems[name] === undefined) systems[name] = { kind };
  }
  return { hasDeployNodes: facts.hasDeployNodes === true, systems, flakeNodes: facts.flakeflowNodes ?? null };
}

/** The toplevels (drv and out path) of the named configurations only: each evaluates its whole system. */
export async function evaluateToplevels(
  nix: NixCli,
  flakeDir: string,
  names: readonly string[],
  options: NixRunOptions = {},
): Promise<Record<string, FlakeSystem>> {
  if (names.length === 0) return {};
  const facts = await readFleetFacts(nix, flakeDir, { toplevels: { hosts: names } }, options);
  return facts.toplevels ?? {};
}

export interface NodeDefaults {
  /** The `ssh-user` input. */
  sshUser?: string;
}

/**
 * The switch engine's nodes: the `nodes` input when given, else the flake's `flakeflow.nodes`, else
 * every configuration of the flake; each filled in with the defaults (address = name, ssh-user =
 * input or root, the system profile).
 */
export function mergeSwitchNodes(
  facts: SwitchFleetFacts,
  input: SwitchNodeEntries | undefined,
  defaults: NodeDefaults,
): SwitchNode[] {
  const entries = input ?? flakeEntries(facts.flakeNodes) ?? defaultEntries(facts.systems);
  const source = input ? "Input 'nodes'" : `The flake's ${FLAKE_NODES_ATTRIBUTE}`;
  const names = Object.keys(entries);
  if (names.length === 0) {
    throw new UserError(
      'The flake has no nixosConfigurations, darwinConfigurations or homeConfigurations and no deploy.nodes: there is nothing to deploy',
    );
  }
  return names.map((name) => {
    const entry = entries[name] ?? {};
    const system = facts.systems[name];
    if (system === undefined) {
      throw new UserError(
        `${source} names node '${name}', which is not a configuration of the flake; known: ${Object.keys(facts.systems).join(', ') || 'none'}`,
      );
    }
    // Home Manager names its configurations `user@host`.
    const [homeUser, homeHost] = system.kind === 'home' && name.includes('@') ? name.split('@', 2) : [];
    const sshUser = entry['ssh-user'] ?? homeUser ?? defaults.sshUser ?? 'root';
    return {
      name,
      hostname: entry.address ?? homeHost ?? name,
      tags: entry.tags ?? [],
      ...(entry.wave === undefined ? {} : { wave: entry.wave }),
      sshUser,
      sshOpts: [],
      profile: entry.profile ?? defaultProfile(system.kind, sshUser),
      currentSystem: entry['current-system'] ?? DEFAULT_CURRENT_SYSTEM,
      bootedSystem: entry['booted-system'] ?? DEFAULT_BOOTED_SYSTEM,
      kind: system.kind,
    };
  });
}

function defaultProfile(kind: SystemKind, user: string): string {
  return kind === 'home' ? `/nix/var/nix/profiles/per-user/${user}/home-manager` : DEFAULT_SYSTEM_PROFILE;
}

function flakeEntries(value: unknown): SwitchNodeEntries | undefined {
  if (value === null || value === undefined) return undefined;
  const checked = switchNodesShape.safeParse(value);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0];
  const where = [FLAKE_NODES_ATTRIBUTE, ...(issue?.path ?? []).map(String)].join('.');
  throw new UserError(`The flake's ${where} ${issue?.message ?? 'is malformed'}`);
}

function defaultEntries(systems: SwitchFleetFacts['systems']): SwitchNodeEntries {
  return Object.fromEntries(Object.keys(systems).map((name) => [name, {}]));
}

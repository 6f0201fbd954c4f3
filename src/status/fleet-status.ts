import type { RunContext } from '../core/action.js';
import type { CleanupRegistry } from '../core/cleanup.js';
import { mapConcurrently } from '../core/concurrency.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { commitsBetween, headCommit } from '../core/revision-checkout.js';
import { flakeDirOf } from '../core/workspace.js';
import type { EngineName } from '../deploy/engine.js';
import { chooseEngine } from '../deploy/engines.js';
import { sshSettingsOf } from '../deploy/inputs.js';
import { type DeployNode, readDeployNodes } from '../deploy/nodes.js';
import { DEFAULT_CURRENT_SYSTEM, readProfileTargets } from '../deploy/profile-targets.js';
import { buildTagIndex, resolveSelectors } from '../deploy/selectors.js';
import { checkSshSettings, nodeSshOptions, prepareSshAccess } from '../deploy/ssh.js';
import { NodeShell, READS_AT_ONCE } from '../deploy/switch/node-ssh.js';
import {
  DEFAULT_BOOTED_SYSTEM,
  evaluateToplevels,
  mergeSwitchNodes,
  readSwitchFleet,
  type SwitchFleetFacts,
} from '../deploy/switch/switch-nodes.js';
import type { NixCli } from '../nix/cli.js';
import { attrPathText } from '../nix/fleet-types.js';
import type { StatusSettings } from './inputs.js';
import { type ExpectedSystem, judgeNode, type NodeStatus } from './judge.js';
import { type NodeLinks, type NodeReading, readNode } from './node-reading.js';

export interface StatusEnvironment {
  context: Pick<RunContext, 'workspace' | 'runnerTemp'>;
  logger: Logger;
  runner: ProcessRunner;
  nix: NixCli;
  cleanup: CleanupRegistry;
  now?: () => number;
}

export interface FleetStatus {
  engine: EngineName;
  /** The checked-out commit the expected systems were evaluated at; unset outside git. */
  commit?: string;
  checkedAt: string;
  nodes: NodeStatus[];
}

/** One selected node: how it is reached, where its system is linked and what it should run. */
interface StatusTarget {
  node: DeployNode;
  sshUser?: string;
  links: NodeLinks;
  expected: ExpectedSystem;
}

/**
 * What every selected node runs against what the flake at the checked-out commit says it should:
 * the nodes and their selection as deploy has them, each read over one SSH connection, nothing built
 * or activated.
 */
export async function readFleetStatus(
  settings: StatusSettings,
  env: StatusEnvironment,
): Promise<FleetStatus> {
  const { logger, nix, runner } = env;
  const ssh = sshSettingsOf(settings);
  checkSshSettings(ssh, logger);
  const flakeDir = flakeDirOf(env.context.workspace, settings.path);
  const { name: engine, switchFleet } = await chooseEngine(settings, nix, flakeDir, logger);
  const targets =
    engine === 'switch'
      ? await switchTargets(settings, switchFleet ?? (await readSwitchFleet(nix, flakeDir)), nix, flakeDir)
      : await deployRsTargets(settings, nix, flakeDir);
  logger.info(`Reading ${targets.length} node(s): ${targets.map((target) => target.node.name).join(', ')}`);

  const access = await prepareSshAccess(ssh, env.context.runnerTemp, env.cleanup, logger);
  const commit = await headCommit(runner, flakeDir);
  const readings = await mapConcurrently(targets, READS_AT_ONCE, (target) =>
    readNode(
      new NodeShell(
        runner,
        {
          name: target.node.name,
          hostname: target.node.hostname,
          ...(target.sshUser === undefined ? {} : { sshUser: target.sshUser }),
        },
        nodeSshOptions(access, target.node),
      ),
      target.links,
    ),
  );
  const distances = await commitDistances(runner, flakeDir, commit, readings);
  const nodes = targets.map((target, index) =>
    judgeNode(target.node.name, readings[index] as NodeReading | { error: string }, target.expected, (from) =>
      distances.get(from),
    ),
  );
  return {
    engine,
    ...(commit === undefined ? {} : { commit }),
    checkedAt: new Date((env.now ?? Date.now)()).toISOString(),
    nodes,
  };
}

function selected<N extends DeployNode>(settings: StatusSettings, nodes: readonly N[]): N[] {
  return resolveSelectors(settings.targets, 'targets', nodes, buildTagIndex(nodes, settings.tags)) as N[];
}

/** The switch engine's nodes, each expected to run its configuration's toplevel. */
async function switchTargets(
  settings: StatusSettings,
  fleet: SwitchFleetFacts,
  nix: NixCli,
  flakeDir: string,
): Promise<StatusTarget[]> {
  const nodes = selected(
    settings,
    mergeSwitchNodes(fleet, settings.nodes, {
      ...(settings['ssh-user'] === undefined ? {} : { sshUser: settings['ssh-user'] }),
    }),
  );
  const systems = await evaluateToplevels(
    nix,
    flakeDir,
    nodes.map((node) => node.name),
  );
  return nodes.map((node) => {
    const system = systems[node.name];
    if (system === undefined)
      throw new Error(`the fleet model did not evaluate the toplevel of ${node.name}`);
    return {
      node,
      sshUser: node.sshUser,
      links: {
        currentSystem: node.currentSystem,
        profile: node.profile,
        // Only NixOS boots a system of its own: nix-darwin and Home Manager never need a reboot for it.
        bootedSystem: node.kind === 'nixos' ? node.bootedSystem : '',
        ownedByUser: node.kind === 'home',
      },
      expected: { path: system.path, attribute: attrPathText(system.attrPath) },
    };
  });
}

/** deploy-rs's nodes, each expected to run its `system` profile's path (else its first profile's). */
async function deployRsTargets(
  settings: StatusSettings,
  nix: NixCli,
  flakeDir: string,
): Promise<StatusTarget[]> {
  const nodes = selected(settings, await readDeployNodes(nix, flakeDir));
  const profiles = await readProfileTargets(
    nix,
    flakeDir,
    nodes.map((node) => node.name),
  );
  return nodes.map((node) => {
    const all = profiles.get(node.name) ?? [];
    const profile = all.find((target) => target.profile === 'system') ?? all[0];
    if (profile === undefined) throw new Error(`deploy.nodes.${node.name} has no profiles to read`);
    const sshUser = settings['ssh-user'] ?? node.sshUser;
    return {
      node,
      ...(sshUser === undefined ? {} : { sshUser }),
      links: {
        currentSystem: profile.currentSystem,
        profile: profile.profilePath,
        bootedSystem: profile.currentSystem === DEFAULT_CURRENT_SYSTEM ? DEFAULT_BOOTED_SYSTEM : '',
      },
      expected: {
        path: profile.path,
        attribute: attrPathText(['deploy', 'nodes', node.name, 'profiles', profile.profile, 'path']),
      },
    };
  });
}

/** How far behind the checked-out commit each node's running deploy is, where git can tell. */
async function commitDistances(
  runner: ProcessRunner,
  flakeDir: string,
  head: string | undefined,
  readings: readonly (NodeReading | { error: string })[],
): Promise<Map<string, number>> {
  const distances = new Map<string, number>();
  if (head === undefined) return distances;
  const commits = new Set<string>();
  for (const reading of readings) {
    if ('error' in reading) continue;
    const commit = reading.deploys?.find((entry) => entry.path === reading.running)?.commit;
    if (commit) commits.add(commit);
  }
  for (const commit of commits) {
    const distance = await commitsBetween(runner, flakeDir, commit, head);
    if (distance !== undefined) distances.set(commit, distance);
  }
  return distances;
}

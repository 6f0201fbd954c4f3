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
import { buildTagIndex, resolveSelectors } from '../deploy/selectors.js';
import { checkSshSettings, nodeSshOptions, prepareSshAccess } from '../deploy/ssh.js';
import { NodeShell, READS_AT_ONCE } from '../deploy/switch/node-ssh.js';
import {
  mergeSwitchNodes,
  readSwitchFleet,
  type SwitchFleetFacts,
  type SwitchNode,
} from '../deploy/switch/switch-nodes.js';
import type { NixCli } from '../nix/cli.js';
import { deployRsTargets, switchTargets } from './expected-systems.js';
import type { StatusSettings } from './inputs.js';
import { judgeNode, type NodeStatus } from './judge.js';
import { type NodeReading, readNode } from './node-reading.js';

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
      ? await switchTargets(
          selectedSwitchNodes(settings, switchFleet ?? (await readSwitchFleet(nix, flakeDir))),
          { nix, flakeDir, logger },
        )
      : await deployRsTargets(
          selected(settings, await readDeployNodes(nix, flakeDir)),
          settings['ssh-user'],
          {
            nix,
            flakeDir,
            logger,
          },
        );
  logger.info(`Reading ${targets.length} node(s): ${targets.map((target) => target.node.name).join(', ')}`);

  const access = await prepareSshAccess(ssh, env.context.runnerTemp, env.cleanup, logger);
  const commit = await headCommit(runner, flakeDir);
  const readings = await mapConcurrently(targets, READS_AT_ONCE, async (target) => ({
    target,
    reading: await readNode(
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
  }));
  const distances = await commitDistances(
    runner,
    flakeDir,
    commit,
    readings.map(({ reading }) => reading),
  );
  const nodes = readings.map(({ target, reading }) =>
    judgeNode(target.node.name, reading, target.expected, (from) => distances.get(from)),
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

function selectedSwitchNodes(settings: StatusSettings, fleet: SwitchFleetFacts): SwitchNode[] {
  return selected(
    settings,
    mergeSwitchNodes(fleet, settings.nodes, {
      ...(settings['ssh-user'] === undefined ? {} : { sshUser: settings['ssh-user'] }),
    }),
  );
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

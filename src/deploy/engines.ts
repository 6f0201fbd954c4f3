import { Slots } from '../core/concurrency.js';
import { stringifyError, UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NixCli } from '../nix/cli.js';
import { looksLikeFetchFailure } from '../nix/input-fetch.js';
import { createNodeDeployer } from './deploy-node.js';
import { recordingDeployRs } from './deploy-record.js';
import { activationBoundMs, type DeployRsFlags } from './deploy-rs.js';
import {
  type DeployEngine,
  type EngineContext,
  type EngineName,
  timedDeployer,
  unchangedVerdict,
} from './engine.js';
import type { DeploySettings } from './inputs.js';
import type { DeployNode } from './nodes.js';
import { readDeployNodes } from './nodes.js';
import { type ProfileLink, type ProfileTarget, readProfileTargets } from './profile-targets.js';
import type { DeployOneNode } from './rollout.js';
import { nodeSshOptions } from './ssh.js';
import { NodeShell, READS_AT_ONCE } from './switch/node-ssh.js';
import { activationAction, openSwitchEngine } from './switch/switch-engine.js';
import { readSwitchFleet, type SwitchFleetFacts } from './switch/switch-nodes.js';

/** The engine a run reaches, and the switch engine's fleet facts when choosing it read them. */
export interface EngineChoice {
  name: EngineName;
  /** Read once for `auto` and `switch`, so that the switch engine plans without evaluating again. */
  switchFleet?: SwitchFleetFacts;
}

/**
 * The engine whose nodes a run reaches: the one `engine` names; `auto` is deploy-rs when the flake has
 * `deploy.nodes`, else switch. `auto` asks in the switch engine's own evaluation, which evaluates no node.
 */
export async function chooseEngine(
  settings: Pick<DeploySettings, 'engine' | 'nodes'>,
  nix: NixCli,
  flakeDir: string,
  logger: Logger,
): Promise<EngineChoice> {
  if (settings.engine === 'switch')
    return { name: 'switch', switchFleet: await readSwitchFleet(nix, flakeDir) };
  let name: EngineName = 'deploy-rs';
  if (settings.engine === 'auto') {
    const switchFleet = await readSwitchFleet(nix, flakeDir);
    const { hasDeployNodes } = switchFleet;
    name = hasDeployNodes ? 'deploy-rs' : 'switch';
    logger.info(`Engine auto: ${name}, since the flake ${hasDeployNodes ? 'has' : 'has no'} deploy.nodes`);
    if (name === 'switch') return { name, switchFleet };
  }
  if (settings.nodes !== undefined) {
    throw new UserError(
      "Input 'nodes' is only read by the switch engine, but this run reaches the flake's deploy.nodes " +
        "with deploy-rs; set 'engine: switch' or remove 'nodes'",
    );
  }
  return { name };
}

/** Opens the engine `chooseEngine` picks. */
export async function openEngine(
  settings: DeploySettings,
  nix: NixCli,
  flakeDir: string,
  logger: Logger,
): Promise<DeployEngine> {
  const { name, switchFleet } = await chooseEngine(settings, nix, flakeDir, logger);
  if (name === 'switch') return openSwitchEngine(settings, nix, flakeDir, switchFleet);
  return openDeployRsEngine(settings, await readDeployNodes(nix, flakeDir));
}

function deployRsFlags(settings: DeploySettings): DeployRsFlags {
  return {
    skipChecks: settings['skip-checks'],
    dryActivate: settings['dry-activate'],
    boot: settings.boot,
    magicRollback: settings['magic-rollback'],
    autoRollback: settings['auto-rollback'],
    remoteBuild: settings['remote-build'],
    substituteOnNodes: settings['substitute-on-nodes'],
    ...(settings['confirm-timeout'] === undefined ? {} : { confirmTimeout: settings['confirm-timeout'] }),
    ...(settings['activation-timeout'] === undefined
      ? {}
      : { activationTimeout: settings['activation-timeout'] }),
    ...(settings['ssh-user'] === undefined ? {} : { sshUser: settings['ssh-user'] }),
  };
}

/** deploy-rs, one process per node, skipping the nodes that already run their profiles' paths. */
function openDeployRsEngine(settings: DeploySettings, nodes: DeployNode[]): DeployEngine {
  const flags = deployRsFlags(settings);
  return {
    name: 'deploy-rs',
    nodes,
    async deployer(context, planned) {
      // The links are known from deploy.nodes: the nodes are read while the targets evaluate.
      const running = settings.force ? undefined : readRunningProfiles(planned, settings, context);
      if (settings['inputs-ssh-key'] !== undefined || settings['nix-access-tokens'] !== undefined) {
        // deploy-rs runs Nix itself, without the Nix access (child-environment.ts): the flake's
        // private inputs must be in the store before it starts.
        await context.nix.archive(context.flakeDir, { group: "Fetching the flake's inputs for deploy-rs" });
      }
      const deployOne = createNodeDeployer({
        runner: context.runner,
        logger: context.logger,
        command: settings['deploy-command'],
        flakeDir: context.flakeDir,
        flags,
        flakeCheck: { passed: false },
        sshOptions: (node) => nodeSshOptions(context.access, node),
        sshUser: (node) => settings['ssh-user'] ?? node.sshUser,
        healthCheck: context.healthCheck,
        health: context.health,
        boundMs: activationBoundMs(flags, context.marginMs),
        ...(context.deployments ? { deployments: context.deployments } : {}),
        background: context.background,
        now: context.now,
      });
      const targets = await profileTargets(context, planned);
      const recorded = recordingDeployRs(deployOne, {
        targets,
        shellFor: (node) => deployRsShell(node, settings, context),
        action: activationAction(settings),
        origin: context.origin,
        logger: context.logger,
      });
      if (running === undefined || targets === undefined) return recorded;
      return skippingUnchanged(recorded, targets, running, context);
    },
  };
}

async function profileTargets(context: EngineContext, planned: readonly DeployNode[]) {
  try {
    return await readProfileTargets(
      context.nix,
      context.flakeDir,
      planned.map((node) => node.name),
    );
  } catch (error) {
    // An input Nix cannot fetch fails deploy-rs on every node alike: the run fails before, naming it.
    if (error instanceof UserError && looksLikeFetchFailure(error.message)) throw error;
    // deploy-rs evaluates the same paths and reports what is wrong with them.
    context.logger.info(
      `Cannot tell which nodes already run their target (${stringifyError(error).split('\n')[0]}): deploying every node`,
    );
    return undefined;
  }
}

/** By node: what each profile runs (undefined where none), or undefined when the node could not be read. */
type RunningProfiles = Map<string, Promise<Map<string, string | undefined> | undefined>>;

/**
 * Reads over SSH what every planned node runs, all of them before the first wave and
 * `READS_AT_ONCE` at a time, from the profiles' links alone: an unchanged rerun is one round of reads
 * beside the evaluation of the targets. A node that cannot be read is left to deploy-rs, which reports
 * why it cannot be reached.
 */
function readRunningProfiles(
  planned: readonly DeployNode[],
  settings: DeploySettings,
  context: EngineContext,
): RunningProfiles {
  const reads = new Slots(Math.max(settings.parallel, READS_AT_ONCE));
  return new Map(
    planned.map((node) => {
      const links = node.profiles ?? [];
      const read = links.length === 0 ? Promise.resolve(undefined) : reads.run(() => readNode(node, links));
      return [node.name, read] as const;
    }),
  );

  async function readNode(node: DeployNode, links: readonly ProfileLink[]) {
    try {
      const paths = await deployRsShell(node, settings, context).readRunningAll(
        links.map((link) => ({ currentSystem: link.currentSystem, profile: link.profilePath })),
      );
      return new Map(links.map((link, index) => [link.profile, paths[index]]));
    } catch (error) {
      context.logger.info(`${node.name}: ${stringifyError(error)}; leaving it to deploy-rs`);
      return undefined;
    }
  }
}

/**
 * A node whose every profile already holds its target path is `unchanged` and deploy-rs is not run
 * for it.
 */
function skippingUnchanged(
  deployOne: DeployOneNode,
  targets: Map<string, ProfileTarget[]>,
  running: RunningProfiles,
  context: EngineContext,
): DeployOneNode {
  const unchanged = timedDeployer({ ...context, deployments: undefined }, async (node, lines) => {
    const profiles = targets.get(node.name) ?? [];
    lines.push(...profiles.map((target) => `${target.profile} runs ${target.path}`));
    return unchangedVerdict(profiles.map((target) => target.path).join(', '), lines);
  });
  return async (node, wave) => {
    const profiles = targets.get(node.name) ?? [];
    const runs = await running.get(node.name);
    const runsAll =
      runs !== undefined &&
      profiles.length > 0 &&
      profiles.every((target) => runs.get(target.profile) === target.path);
    return runsAll ? unchanged(node, wave) : deployOne(node, wave);
  };
}

/** How flakeflow itself reaches a deploy-rs node: as deploy-rs does, one connection per command. */
function deployRsShell(node: DeployNode, settings: DeploySettings, context: EngineContext): NodeShell {
  const sshUser = settings['ssh-user'] ?? node.sshUser;
  return new NodeShell(
    context.runner,
    { name: node.name, hostname: node.hostname, ...(sshUser === undefined ? {} : { sshUser }) },
    nodeSshOptions(context.access, node),
  );
}

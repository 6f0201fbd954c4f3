import { join } from 'node:path';
import type { NixCli } from '../../nix/cli.js';
import { NixStore } from '../../nix/store.js';
import { DEFAULT_ACTIVATION_TIMEOUT_S, DEFAULT_CONFIRM_TIMEOUT_S } from '../deploy-rs.js';
import { type DeployEngine, timedDeployer } from '../engine.js';
import type { DeploySettings } from '../inputs.js';
import { nodeSshOptions, sharedConnectionDir } from '../ssh.js';
import { NodeShell, READS_AT_ONCE } from './node-ssh.js';
import type { ActivationAction } from './remote-scripts.js';
import { type Delivery, startDeliveries } from './switch-deliver.js';
import { type SwitchFlags, switchNode } from './switch-node.js';
import {
  evaluateToplevels,
  mergeSwitchNodes,
  readSwitchFleet,
  type SwitchFleetFacts,
  type SwitchNode,
} from './switch-nodes.js';
import { type PreparedNode, prepareSwitchNodes } from './switch-prepare.js';

/** The activation the inputs ask for. */
export function activationAction(settings: Pick<DeploySettings, 'dry-activate' | 'boot'>): ActivationAction {
  return settings['dry-activate'] ? 'dry-activate' : settings.boot ? 'boot' : 'switch';
}

export function switchFlags(settings: DeploySettings): SwitchFlags {
  return {
    action: activationAction(settings),
    magicRollback: settings['magic-rollback'],
    autoRollback: settings['auto-rollback'],
    confirmSeconds: settings['confirm-timeout'] ?? DEFAULT_CONFIRM_TIMEOUT_S,
    activationSeconds: settings['activation-timeout'] ?? DEFAULT_ACTIVATION_TIMEOUT_S,
    remoteBuild: settings['remote-build'],
    substituteOnNodes: settings['substitute-on-nodes'],
    force: settings.force,
  };
}

/**
 * flakeflow's own engine: the flake's configurations, switched over SSH under a watchdog. `fleet`, when
 * choosing the engine already read it, spares one evaluation.
 */
export async function openSwitchEngine(
  settings: DeploySettings,
  nix: NixCli,
  flakeDir: string,
  fleet?: SwitchFleetFacts,
): Promise<DeployEngine> {
  const nodes = mergeSwitchNodes(fleet ?? (await readSwitchFleet(nix, flakeDir)), settings.nodes, {
    ...(settings['ssh-user'] === undefined ? {} : { sshUser: settings['ssh-user'] }),
  });
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const flags = switchFlags(settings);
  let prepared = new Map<string, PreparedNode>();
  let deliveries = new Map<string, Promise<Delivery>>();
  const stopDeliveries = new AbortController();
  return {
    name: 'switch',
    nodes,
    async finish() {
      // Copies to nodes the rollout no longer reaches are stopped before their connections close.
      stopDeliveries.abort(new Error('the rollout stopped'));
      await Promise.all(deliveries.values());
      await Promise.all([...prepared.values()].map((entry) => entry.shell.close()));
    },
    async deployer(context, planned) {
      const store = new NixStore(context.runner);
      const selected = planned.map((node) => byName.get(node.name) as SwitchNode);
      const controlDir = sharedConnectionDir(context.access);
      prepared = await prepareSwitchNodes(selected, {
        nix: context.nix,
        store,
        systems: evaluateToplevels(
          context.nix,
          context.flakeDir,
          selected.map((node) => node.name),
        ),
        shellFor: (node) =>
          new NodeShell(
            context.runner,
            node,
            nodeSshOptions(context.access, node),
            join(controlDir, `c${selected.indexOf(node)}`),
          ),
        force: flags.force,
        remoteBuild: flags.remoteBuild,
        substituteOnNodes: flags.substituteOnNodes,
        readsAtOnce: Math.max(settings.parallel, READS_AT_ONCE),
      });
      deliveries = startDeliveries(
        selected.map((node) => prepared.get(node.name) as PreparedNode),
        {
          store,
          flags,
          copiesAtOnce: settings.parallel,
          // A halt or a cancel also stops the copies running nodes wait for: nothing was activated yet.
          signal: AbortSignal.any([stopDeliveries.signal, context.signal]),
          ...(context.copyStallMs === undefined ? {} : { stallMs: context.copyStallMs }),
        },
      );
      return timedDeployer(context, (node, lines) =>
        switchNode(
          prepared.get(node.name) as PreparedNode,
          deliveries.get(node.name),
          {
            store,
            flags,
            healthCheck: context.healthCheck,
            health: context.health,
            marginMs: context.marginMs,
            origin: context.origin,
          },
          lines,
        ),
      );
    },
  };
}

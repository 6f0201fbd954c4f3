import type { NixCli } from '../../nix/cli.js';
import { NixStore } from '../../nix/store.js';
import { DEFAULT_ACTIVATION_TIMEOUT_S, DEFAULT_CONFIRM_TIMEOUT_S } from '../deploy-rs.js';
import { type DeployEngine, timedDeployer } from '../engine.js';
import type { DeploySettings } from '../inputs.js';
import { nodeSshOptions } from '../ssh.js';
import type { ActivationAction } from './remote-scripts.js';
import { type SwitchFlags, switchNode } from './switch-node.js';
import { evaluateSwitchFleet, mergeSwitchNodes, type SwitchNode } from './switch-nodes.js';

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
    force: settings.force,
  };
}

/** flakeflow's own engine: the flake's configurations, switched over SSH under a watchdog. */
export async function openSwitchEngine(
  settings: DeploySettings,
  nix: NixCli,
  flakeDir: string,
): Promise<DeployEngine> {
  const facts = await evaluateSwitchFleet(nix, flakeDir, settings.nodes);
  const nodes = mergeSwitchNodes(facts, settings.nodes, {
    ...(settings['ssh-user'] === undefined ? {} : { sshUser: settings['ssh-user'] }),
  });
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const flags = switchFlags(settings);
  return {
    name: 'switch',
    nodes,
    async deployer(context) {
      const store = new NixStore(context.runner);
      return timedDeployer(context, (node, lines) =>
        switchNode(
          byName.get(node.name) as SwitchNode,
          {
            runner: context.runner,
            nix: context.nix,
            store,
            flakeDir: context.flakeDir,
            flags,
            sshOptions: (switching) => nodeSshOptions(context.access, switching),
            healthCheck: context.healthCheck,
            health: context.health,
            marginMs: context.marginMs,
          },
          lines,
        ),
      );
    },
  };
}

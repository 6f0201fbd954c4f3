import { resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { blocks, heading, table } from '../core/markdown.js';
import type { NixCli } from '../nix/cli.js';
import { healthCheckFor, unknownHealthCheckNodes } from './health-checks.js';
import type { DeploySettings } from './inputs.js';
import { type DeployNode, readDeployNodes } from './nodes.js';
import { planRollout, type RolloutPlan } from './plan.js';

export interface PlanDeployEnvironment {
  workspace: string;
  nix: NixCli;
  signal?: AbortSignal;
}

/**
 * The rollout a deploy would run, resolved from the flake's `deploy.nodes` and the settings, without
 * SSH and without touching a node: what `flakeflow deploy` shows before `--apply`.
 */
export async function planDeploy(settings: DeploySettings, env: PlanDeployEnvironment): Promise<RolloutPlan> {
  const flakeDir = resolve(env.workspace, settings.path);
  const nodes = await readDeployNodes(env.nix, flakeDir, env.signal ? { signal: env.signal } : {});
  return planForNodes(settings, nodes);
}

/** The rollout of `nodes` the settings ask for; health checks naming no node are refused. */
export function planForNodes(settings: DeploySettings, nodes: readonly DeployNode[]): RolloutPlan {
  const unknownChecks = unknownHealthCheckNodes(
    settings['health-checks'],
    nodes.map((node) => node.name),
  );
  if (unknownChecks.length > 0) {
    throw new UserError(
      `Input 'health-checks' configures unknown node '${unknownChecks[0]}'; known nodes: ${nodes.map((node) => node.name).join(', ')}`,
    );
  }
  return planRollout(
    {
      targets: settings.targets,
      ...(settings.tags === undefined ? {} : { tags: settings.tags }),
      strategy: settings.strategy,
      ...(settings.waves === undefined ? {} : { waves: settings.waves }),
      parallel: settings.parallel,
      onFailure: settings['on-failure'],
    },
    nodes,
  );
}

/** The plan as a summary: one table per wave, with what each node's deploy would do. */
export function planSummary(plan: RolloutPlan, settings: DeploySettings): string {
  const count = plan.waves.reduce((sum, wave) => sum + wave.nodes.length, 0);
  const activation = settings['dry-activate'] ? 'dry-activate' : settings.boot ? 'boot' : 'switch';
  const facts = [
    `strategy **${plan.strategy}**`,
    `up to ${plan.parallel} at once`,
    `on failure ${plan.onFailure}`,
    `activation ${activation}`,
  ].join(' · ');
  const checks = (name: string) => {
    const check = healthCheckFor(settings['health-checks'], name);
    return check ? [check.ssh ? 'ssh' : '', ...check.http].filter(Boolean).join(', ') : '';
  };
  const withChecks = plan.waves.some((wave) => wave.nodes.some((node) => checks(node.name) !== ''));
  const waves = plan.waves.map((wave) =>
    blocks(
      heading(3, `Wave ${wave.number}`),
      table(
        ['Node', 'Hostname', 'Tags', ...(withChecks ? ['Health check'] : [])],
        wave.nodes.map((node) => [
          `\`${node.name}\``,
          node.hostname,
          node.tags.join(', '),
          ...(withChecks ? [checks(node.name)] : []),
        ]),
      ),
    ),
  );
  return `${blocks(
    heading(
      2,
      `🗺️ Deploy plan: ${count} node${count === 1 ? '' : 's'} in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}`,
    ),
    facts,
    ...waves,
  )}\n`;
}

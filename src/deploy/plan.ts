import { UserError } from '../core/errors.js';
import type { DEPLOY_FAILURE_POLICIES, STRATEGIES } from './inputs.js';
import type { DeployNode } from './nodes.js';
import {
  buildTagIndex,
  type DeployTags,
  inRolloutOrder,
  resolveSelectors,
  type TagIndex,
  type Waves,
} from './selectors.js';

export type Strategy = (typeof STRATEGIES)[number];
export type FailurePolicy = (typeof DEPLOY_FAILURE_POLICIES)[number];

export interface PlanSettings {
  targets: readonly string[];
  tags?: DeployTags;
  strategy: Strategy;
  waves?: Waves;
  parallel: number;
  onFailure: FailurePolicy;
}

export interface PlannedWave {
  /** 1-based, as the log and the summary show it. */
  number: number;
  nodes: DeployNode[];
}

export interface RolloutPlan {
  strategy: Strategy;
  parallel: number;
  onFailure: FailurePolicy;
  waves: PlannedWave[];
}

/** The tag a node carries to be chosen as the canary. */
export const CANARY_TAG = 'canary';

/** Resolves the targets against `deploy.nodes` and orders them into waves by the strategy. */
export function planRollout(settings: PlanSettings, nodes: readonly DeployNode[]): RolloutPlan {
  const tags = buildTagIndex(nodes, settings.tags);
  const targeted = resolveSelectors(settings.targets, 'targets', nodes, tags);
  const groups = groupIntoWaves(settings, targeted, tags, nodes);
  return {
    strategy: settings.strategy,
    parallel: settings.parallel,
    onFailure: settings.onFailure,
    waves: groups
      .filter((group) => group.length > 0)
      .map((group, index) => ({ number: index + 1, nodes: group })),
  };
}

function groupIntoWaves(
  settings: PlanSettings,
  targeted: DeployNode[],
  tags: TagIndex,
  nodes: readonly DeployNode[],
): DeployNode[][] {
  switch (settings.strategy) {
    case 'canary': {
      const canaryTagged = tags.get(CANARY_TAG) ?? [];
      const canary = targeted.find((node) => canaryTagged.includes(node.name)) ?? targeted[0];
      return [canary ? [canary] : [], targeted.filter((node) => node !== canary)];
    }
    case 'all-at-once':
      return [targeted];
    case 'one-by-one':
      return targeted.map((node) => [node]);
    case 'waves':
      return settings.waves
        ? wavesFromInput(settings.waves, targeted, tags, nodes)
        : wavesFromNodes(targeted);
  }
}

function wavesFromInput(
  waves: Waves,
  targeted: readonly DeployNode[],
  tags: TagIndex,
  nodes: readonly DeployNode[],
): DeployNode[][] {
  const placed = new Set<DeployNode>();
  const groups = waves.map((selectors) =>
    resolveSelectors(selectors, 'waves', nodes, tags).filter((node) => {
      if (!targeted.includes(node) || placed.has(node)) return false;
      placed.add(node);
      return true;
    }),
  );
  const unplaced = targeted.filter((node) => !placed.has(node));
  if (unplaced.length > 0) {
    throw new UserError(
      `Input 'waves' places no wave for targeted node(s) ${names(unplaced)}; add them to a wave or narrow 'targets'`,
    );
  }
  return groups;
}

function wavesFromNodes(targeted: readonly DeployNode[]): DeployNode[][] {
  const missing = targeted.filter((node) => node.wave === undefined);
  if (missing.length > 0) {
    throw new UserError(
      `Strategy waves needs a wave for every target: set \`wave = N;\` in deploy.nodes for ${names(missing)}, or give the 'waves' input`,
    );
  }
  const byWave = new Map<number, DeployNode[]>();
  for (const node of inRolloutOrder(targeted)) {
    const wave = node.wave as number;
    byWave.set(wave, [...(byWave.get(wave) ?? []), node]);
  }
  return [...byWave.values()];
}

function names(nodes: readonly DeployNode[]): string {
  return nodes.map((node) => node.name).join(', ');
}

/** The plan as the log prints it before anything starts. */
export function describePlan(plan: RolloutPlan): string[] {
  const count = plan.waves.reduce((sum, wave) => sum + wave.nodes.length, 0);
  return [
    `Rollout plan: ${count} node(s) in ${plan.waves.length} wave(s), strategy ${plan.strategy}, ` +
      `up to ${plan.parallel} at once, on failure ${plan.onFailure}`,
    ...plan.waves.map((wave) => `  wave ${wave.number}: ${names(wave.nodes)}`),
  ];
}

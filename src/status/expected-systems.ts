import { mapConcurrently } from '../core/concurrency.js';
import { oneLine } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DeployNode } from '../deploy/nodes.js';
import { DEFAULT_CURRENT_SYSTEM, readProfileTargets } from '../deploy/profile-targets.js';
import { DEFAULT_BOOTED_SYSTEM, evaluateToplevels, type SwitchNode } from '../deploy/switch/switch-nodes.js';
import type { NixCli } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import { evalWorkerLimits, thisMachine } from '../nix/eval-workers.js';
import { hostErrorText } from '../nix/fleet-hosts.js';
import { attrPathText } from '../nix/fleet-types.js';
import type { ExpectedSystem, UnevaluableSystem } from './judge.js';
import type { NodeLinks } from './node-reading.js';

/** One selected node: how it is reached, where its system is linked and what it should run. */
export interface StatusTarget {
  node: DeployNode;
  sshUser?: string;
  links: NodeLinks;
  expected: ExpectedSystem | UnevaluableSystem;
}

/** Where the expected systems are evaluated, and where Nix's whole error is logged. */
export interface EvaluationPlace {
  nix: NixCli;
  flakeDir: string;
  logger: Logger;
}

/** Nix's error at most this long in a node's one-line reason; the whole of it is in the step's log. */
const ERROR_CHARACTERS = 300;

/**
 * `evaluate` over every node in one evaluation; when that fails, over each node alone, so that a node
 * whose system does not evaluate gets Nix's error and every other node is still judged. Deploy needs
 * every system it plans, so only status asks this way.
 */
export async function evaluateEachNode<T>(
  names: readonly string[],
  evaluate: (names: readonly string[]) => Promise<Map<string, T>>,
  logger: Logger,
): Promise<Map<string, T | UnevaluableSystem>> {
  try {
    return await evaluate(names);
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    logger.info("The nodes' systems do not evaluate together: evaluating each node alone");
  }
  // Each node alone evaluates the flake and a whole system: as many at once as the evaluator pool's default.
  const { workers } = evalWorkerLimits({}, thisMachine());
  const alone = await mapConcurrently(names, workers, async (name) => {
    try {
      return (await evaluate([name])).get(name);
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      logger.info(`The flake's system for ${name} does not evaluate:\n${hostErrorText(error.nixMessage)}`);
      return { error: evaluationError(error.nixMessage) };
    }
  });
  const systems = new Map<string, T | UnevaluableSystem>();
  names.forEach((name, index) => {
    const system = alone[index];
    if (system !== undefined) systems.set(name, system);
  });
  return systems;
}

/** Where Nix's message ends: a blank line, the position (`at file:line:column:`) or a trace frame. */
const MESSAGE_END = /^\s*$|^\s*at .*:\d+:\d+:$|^\s*… /;

/** Nix's message itself, on one line: what it says before where it happened. */
export function evaluationError(nixMessage: string): string {
  const lines = hostErrorText(nixMessage).split('\n');
  const end = lines.findIndex((line, index) => index > 0 && MESSAGE_END.test(line));
  const line = oneLine((end === -1 ? lines : lines.slice(0, end)).join('\n').replace(/^error:\s*/, ''));
  return line.length > ERROR_CHARACTERS ? `${line.slice(0, ERROR_CHARACTERS - 1)}…` : line;
}

/** The switch engine's nodes, each expected to run its configuration's toplevel. */
export async function switchTargets(
  nodes: readonly SwitchNode[],
  { nix, flakeDir, logger }: EvaluationPlace,
): Promise<StatusTarget[]> {
  const systems = await evaluateEachNode(
    nodes.map((node) => node.name),
    async (names) => new Map(Object.entries(await evaluateToplevels(nix, flakeDir, names))),
    logger,
  );
  return nodes.map((node) => {
    const system = systems.get(node.name);
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
      expected: 'error' in system ? system : { path: system.path, attribute: attrPathText(system.attrPath) },
    };
  });
}

/** deploy-rs's nodes, each expected to run its `system` profile's path (else its first profile's). */
export async function deployRsTargets(
  nodes: readonly DeployNode[],
  sshUserInput: string | undefined,
  { nix, flakeDir, logger }: EvaluationPlace,
): Promise<StatusTarget[]> {
  const profiles = await evaluateEachNode(
    nodes.map((node) => node.name),
    (names) => readProfileTargets(nix, flakeDir, names),
    logger,
  );
  return nodes.map((node) => {
    // Where the profile is linked is known without evaluating it: a node that does not evaluate is read too.
    const links = node.profiles ?? [];
    const link = links.find((candidate) => candidate.profile === 'system') ?? links[0];
    if (link === undefined) throw new Error(`deploy.nodes.${node.name} has no profiles to read`);
    const sshUser = sshUserInput ?? node.sshUser;
    const reached = {
      node,
      ...(sshUser === undefined ? {} : { sshUser }),
      links: {
        currentSystem: link.currentSystem,
        profile: link.profilePath,
        bootedSystem: link.currentSystem === DEFAULT_CURRENT_SYSTEM ? DEFAULT_BOOTED_SYSTEM : '',
      },
    };
    const all = profiles.get(node.name) ?? [];
    if ('error' in all) return { ...reached, expected: all };
    const target = all.find((candidate) => candidate.profile === link.profile);
    if (target === undefined)
      throw new Error(`deploy.nodes.${node.name}.profiles.${link.profile} was not evaluated`);
    return {
      ...reached,
      expected: {
        path: target.path,
        attribute: attrPathText(['deploy', 'nodes', node.name, 'profiles', target.profile, 'path']),
      },
    };
  });
}

import { mapConcurrently } from '../../core/concurrency.js';
import { stringifyError } from '../../core/errors.js';
import type { NixCli } from '../../nix/cli.js';
import { NixError } from '../../nix/errors.js';
import { derivationInstallable, type NixStore } from '../../nix/store.js';
import type { NodeShell } from './node-ssh.js';
import type { FlakeSystem, SwitchNode } from './switch-nodes.js';

/** What the switch engine learnt of one planned node before the first wave starts. */
export interface PreparedNode {
  node: SwitchNode;
  system: FlakeSystem;
  shell: NodeShell;
  /** What the node runs (undefined on a fresh node), or why it could not be read. */
  running: { path: string | undefined } | { error: string };
  /** Why its toplevel did not build; the node fails in its wave with this. */
  buildError?: string;
  /** The runner's substituters hold its whole system: not built nor fetched here, the node fetches it. */
  inCaches?: boolean;
}

export interface PrepareOptions {
  nix: NixCli;
  store: NixStore;
  /** The planned nodes' toplevels, evaluated while the nodes are read. */
  systems: Promise<Record<string, FlakeSystem>>;
  shellFor: (node: SwitchNode) => NodeShell;
  /** Activate even nodes that already run their target. */
  force: boolean;
  /** Build on the nodes instead, each in its turn. */
  remoteBuild: boolean;
  /** Nodes fetch from their own substituters: what the runner's hold whole is left to them. */
  substituteOnNodes: boolean;
  /** How many nodes are read over SSH at once. */
  readsAtOnce: number;
}

/**
 * Reads what every planned node runs while the toplevels are evaluated, then builds the toplevels of
 * those that need one in ONE `nix build` of their derivations (evaluated already, so nothing is
 * evaluated twice) before the first wave: a node that runs its target already is not built, and one
 * toplevel that fails fails only its node.
 */
export async function prepareSwitchNodes(
  nodes: readonly SwitchNode[],
  options: PrepareOptions,
): Promise<Map<string, PreparedNode>> {
  const [read, evaluated] = await Promise.allSettled([
    mapConcurrently(nodes, options.readsAtOnce, async (node) => {
      const shell = options.shellFor(node);
      try {
        return { node, shell, running: { path: await shell.readRunning(node) } };
      } catch (error) {
        return { node, shell, running: { error: stringifyError(error) } };
      }
    }),
    options.systems,
  ]);
  if (read.status === 'rejected') throw read.reason;
  if (evaluated.status === 'rejected') {
    await Promise.all(read.value.map((entry) => entry.shell.close()));
    throw evaluated.reason;
  }
  const prepared = await Promise.all(
    read.value.map(async ({ node, shell, running }): Promise<PreparedNode> => {
      const system = evaluated.value[node.name];
      if (system === undefined) {
        await shell.close();
        throw new Error(`the fleet model did not evaluate the toplevel of ${node.name}`);
      }
      // The read opened the node's shared connection: kept for its turn only if it gets its target.
      if (!needsTarget({ system, running }, options.force)) await shell.close();
      return { node, system, shell, running };
    }),
  );
  if (!options.remoteBuild) {
    const needed = prepared.filter((entry) => needsTarget(entry, options.force));
    const inCaches = options.substituteOnNodes
      ? await wholeInCaches(
          options.nix,
          options.store,
          needed.map((entry) => entry.system),
        )
      : new Set<string>();
    for (const entry of needed) if (inCaches.has(entry.system.path)) Object.assign(entry, { inCaches: true });
    const failures = await buildToplevels(
      options.nix,
      options.store,
      needed.filter((entry) => !entry.inCaches).map((entry) => entry.system),
    );
    for (const entry of prepared) {
      const buildError = failures.get(entry.system.path);
      if (buildError !== undefined) Object.assign(entry, { buildError });
    }
  }
  return new Map(prepared.map((entry) => [entry.node.name, entry]));
}

/** Whether the node gets its target: it could be read and runs something else, or `force`. */
export function needsTarget(entry: Pick<PreparedNode, 'system' | 'running'>, force: boolean): boolean {
  if ('error' in entry.running) return false;
  return force || entry.running.path !== entry.system.path;
}

/**
 * The toplevels the runner neither holds nor would build: its substituters hold their whole closures
 * (`nix build --dry-run` would only fetch them). None when the dry run fails: then everything is built.
 */
async function wholeInCaches(
  nix: NixCli,
  store: NixStore,
  systems: readonly FlakeSystem[],
): Promise<Set<string>> {
  if (systems.length === 0) return new Set();
  const local = new Set(await store.validPaths(systems.map((system) => system.path)));
  const absent = systems.filter((system) => !local.has(system.path));
  if (absent.length === 0) return new Set();
  const version = await nix.version();
  try {
    const plan = await store.realisationPlan(
      absent.map((system) => derivationInstallable(version, system.drvPath)),
    );
    const building = new Set(plan.willBuild);
    return new Set(absent.filter((system) => !building.has(system.drvPath)).map((system) => system.path));
  } catch (error) {
    if (error instanceof NixError) return new Set();
    throw error;
  }
}

/**
 * Builds the toplevels in one `nix build --keep-going` of their derivations. Returns, by toplevel
 * path, why each one that is not in the store afterwards failed: the parts of Nix's message that
 * name its derivation, else all of it.
 */
export async function buildToplevels(
  nix: NixCli,
  store: NixStore,
  systems: readonly FlakeSystem[],
): Promise<Map<string, string>> {
  if (systems.length === 0) return new Map();
  const version = await nix.version();
  try {
    await nix.build(
      systems.map((system) => derivationInstallable(version, system.drvPath)),
      { keepGoing: true, group: `Building the toplevels of ${systems.length} node(s)` },
    );
    return new Map();
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    const built = new Set(await store.validPaths(systems.map((system) => system.path)));
    const failed = systems.filter((system) => !built.has(system.path));
    if (failed.length === 0) throw error;
    return new Map(
      failed.map((system) => [
        system.path,
        `building ${system.path} failed: ${errorsNaming(error.nixMessage, system.drvPath)}`,
      ]),
    );
  }
}

/** The `error:` paragraphs of a Nix message that name `drvPath`; the whole message when none does. */
export function errorsNaming(nixMessage: string, drvPath: string): string {
  const paragraphs = nixMessage.split(/\n(?=error:)/);
  const naming = paragraphs.filter((paragraph) => paragraph.includes(drvPath));
  return (naming.length > 0 ? naming : paragraphs).join('\n').trim();
}

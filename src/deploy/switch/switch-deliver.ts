import { Slots } from '../../core/concurrency.js';
import { stringifyError } from '../../core/errors.js';
import { succeeded } from '../../core/process.js';
import type { NixStore } from '../../nix/store.js';
import { COPY_STALL_MS, CopyWatchdog } from './copy-watchdog.js';
import { failure } from './node-ssh.js';
import { needsTarget, type PreparedNode } from './switch-prepare.js';

/** How a node's system got into its store: its log lines, or why it did not. */
export interface Delivery {
  lines: string[];
  error?: string;
  /** Why it was stopped before the system was in the node's store: the rollout halted or was cancelled. */
  stopped?: string;
  /** What its row should say of how the paths came, e.g. that its cache was unreachable. */
  note?: string;
}

export interface DeliveryOptions {
  store: NixStore;
  flags: { remoteBuild: boolean; substituteOnNodes: boolean; force: boolean };
  /** How many nodes receive their systems at once: the `parallel` input. */
  copiesAtOnce: number;
  /** Stops the deliveries not yet done (the rollout halted or was cancelled); its reason says why. */
  signal: AbortSignal;
  /** How long a copy may make no progress before it is killed (COPY_STALL_MS by default). */
  stallMs?: number;
}

/** What Nix prints when a store's filesystem is full. */
const NO_SPACE = /No space left on device/i;

/**
 * Starts putting every node's system into its store, in `entries`' order (the plan's, so the canary
 * first), `copiesAtOnce` at a time, beside the waves: a node's turn only waits for its own delivery.
 * Returns one delivery per node that needs its target; none of them rejects.
 */
export function startDeliveries(
  entries: readonly PreparedNode[],
  options: DeliveryOptions,
): Map<string, Promise<Delivery>> {
  const copies = new Slots(options.copiesAtOnce);
  const deliveries = new Map<string, Promise<Delivery>>();
  for (const entry of entries) {
    if (!needsTarget(entry, options.flags.force) || entry.buildError !== undefined) continue;
    const lines: string[] = [];
    const delivery = copies
      .run(async () => {
        options.signal.throwIfAborted();
        return deliver(entry, options, lines);
      })
      .then(
        (note): Delivery => ({ lines, ...(note === undefined ? {} : { note }) }),
        (error): Delivery =>
          options.signal.aborted
            ? { lines, stopped: stringifyError(options.signal.reason) }
            : { lines, error: stringifyError(error) },
      );
    deliveries.set(entry.node.name, delivery);
  }
  return deliveries;
}

/**
 * Puts the toplevel into the node's store: copies what the runner built (the node fetching what its
 * substituters hold first), or copies the derivation and builds it there. A copy that breaks off is
 * tried once more, and so is one that stalls (no progress for `stallMs`: it is killed); a full store
 * is not. Returns what the node's row should say of it, if anything.
 */
async function deliver(
  prepared: PreparedNode,
  options: DeliveryOptions,
  lines: string[],
): Promise<string | undefined> {
  const stopListening = prepared.shell.closeWhenAborted(options.signal);
  try {
    return await putSystemInStore(prepared, options, lines);
  } finally {
    stopListening();
  }
}

async function putSystemInStore(
  prepared: PreparedNode,
  options: DeliveryOptions,
  lines: string[],
): Promise<string | undefined> {
  const { node, system, shell } = prepared;
  const { flags, store, signal } = options;
  const substituteOnDestination = flags.substituteOnNodes;
  const from = substituteOnDestination ? ", the node's substituters first" : '';
  const [paths, derivation] = flags.remoteBuild ? [[system.drvPath], true] : [[system.path], false];
  lines.push(
    flags.remoteBuild
      ? `copying ${system.drvPath} to ${shell.storeUrl} to build it there${from}`
      : `built ${system.path}`,
    ...(flags.remoteBuild ? [] : [`copying to ${shell.storeUrl}${from}`]),
  );
  if (prepared.inCaches && (await fetchedByNode(prepared, options, lines))) return undefined;
  let note: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const watchdog = new CopyWatchdog(options.stallMs ?? COPY_STALL_MS);
    const stopWatching = shell.closeWhenAborted(watchdog.signal);
    try {
      const copied = await store.copy(paths, shell.storeUrl, {
        env: shell.nixSshEnv(),
        derivation,
        substituteOnDestination,
        signal: AbortSignal.any([signal, watchdog.signal]),
        onSpawn: watchdog.onSpawn,
        onLine: watchdog.onLine,
      });
      note = substituteOnDestination ? unreachableCaches(copied.stderr) : undefined;
      if (note !== undefined) lines.push(note);
      break;
    } catch (error) {
      const why = watchdog.stalled
        ? `copy to ${node.name} stalled: no progress for ${seconds(watchdog.stallMs)}, killed`
        : stringifyError(error);
      if (NO_SPACE.test(why))
        throw new Error(`no space left on ${node.name}: ${lastLineMatching(why, NO_SPACE)}`);
      if (attempt > 1 || signal.aborted) {
        throw new Error(
          watchdog.stalled
            ? `${why} on the second attempt too; nothing was activated`
            : `copying to ${node.name} failed: ${why}`,
        );
      }
      lines.push(`copying to ${node.name} broke off (${why.split('\n').at(-1)}); trying once more`);
    } finally {
      watchdog.stop();
      stopWatching();
    }
  }
  if (!flags.remoteBuild) return note;
  const realised = await shell.run('nix-store --realise "$1" >/dev/null', [system.drvPath], {
    timeoutMs: 24 * 3600_000,
    signal,
  });
  if (!succeeded(realised)) {
    const why = failure(realised);
    throw new Error(
      NO_SPACE.test(why) ? `no space left on ${node.name}: ${why}` : `building on ${node.name} ${why}`,
    );
  }
  return note;
}

/**
 * Lets the node fetch a system the runner's caches hold whole; when it cannot, the runner fetches it
 * to send it (false: copy it now).
 */
async function fetchedByNode(
  prepared: PreparedNode,
  options: DeliveryOptions,
  lines: string[],
): Promise<boolean> {
  const { node, system, shell } = prepared;
  lines.push(
    `the caches hold ${system.path} whole: ${node.name} fetches it itself, the runner neither builds nor downloads it`,
  );
  const fetched = await shell.run('nix-store --realise "$1" >/dev/null', [system.path], {
    timeoutMs: 24 * 3600_000,
    signal: options.signal,
  });
  if (succeeded(fetched)) return true;
  const why = failure(fetched);
  if (NO_SPACE.test(why)) throw new Error(`no space left on ${node.name}: ${why}`);
  lines.push(`${node.name} could not fetch it (${why}): the runner fetches it to send it`);
  if (!(await options.store.substitute(system.path, { signal: options.signal }))) {
    throw new Error(`neither ${node.name} nor the runner could fetch ${system.path} from a cache`);
  }
  return false;
}

/**
 * The node's substituters that could not be reached, from the warnings its Nix sent back during the
 * copy (`unable to download 'URL/…'`): Nix then takes every path from the runner.
 */
export function unreachableCaches(stderr: string): string | undefined {
  const caches = new Set(
    [...stderr.matchAll(/unable to download '([a-z0-9+]+:\/\/[^/']+)[^']*'/g)].map(
      (match) => match[1] as string,
    ),
  );
  if (caches.size === 0) return undefined;
  return `its cache ${[...caches].join(', ')} was unreachable: the paths came from the runner`;
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

function lastLineMatching(text: string, pattern: RegExp): string {
  return (
    text
      .split('\n')
      .filter((line) => pattern.test(line))
      .at(-1)
      ?.trim() ?? text
  );
}

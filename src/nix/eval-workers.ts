import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ProcessRunner } from '../core/process.js';
import { NixCli } from './cli.js';
import { NixError } from './errors.js';

/**
 * A pool of `nix eval` processes that evaluates many hosts in bounded memory.
 *
 * A running `nix eval` cannot be handed more work: Nix 2.8 to 2.31 read no input while they
 * evaluate, and `builtins.readFile` of a FIFO returns nothing on the Nix versions whose source
 * accessor reads as many bytes as `fstat` reports (2.19 on), so a FIFO-fed evaluator would work on
 * 2.8 only; `nix repl` prints differently from one version to the next. So the work is shared out
 * the other way round: each worker starts with an equal share of the hosts (a shard of the hosts
 * the flake selects, which the process lists itself, or a share of the keys asked for), and a
 * process is stopped as soon as the host it is on is done when its memory passed the limit or one
 * more host of the size seen so far would take it past, or when an idle worker took over the hosts
 * it had not reached: the hosts left go to a fresh process. A
 * worker takes over only where that pays, when the hosts taken would cost more than starting a
 * process does (both measured as the pool goes), so a cheap fleet is evaluated by one process per
 * worker. Progress is read from the `flakeflow-shard`, `flakeflow-host-start <key>` and
 * `flakeflow-host-done <json>` traces nix/fleet.nix leaves, which every Nix version prints on
 * stderr as it goes.
 */

/** Memory of one process in KiB, from /proc/<pid>/status. */
export interface ProcessMemory {
  rssKiB: number;
  peakKiB: number;
}

export type MemoryProbe = (pid: number) => ProcessMemory | undefined;

/** VmRSS and VmHWM of a live process; undefined once it is gone. */
export const procStatusMemory: MemoryProbe = (pid) => {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const rssKiB = kib('VmRSS');
  return { rssKiB, peakKiB: Math.max(rssKiB, kib('VmHWM')) };
};

export interface EvalWorkerLimits {
  workers: number;
  maxMemoryKiB: number;
}

export const MAX_DEFAULT_MEMORY_KIB = 4 * 1024 * 1024;

export interface MachineResources {
  cores: number;
  memoryKiB: number;
}

/** The cores and memory of the machine this runs on, for the defaults of the limits. */
export function thisMachine(): MachineResources {
  return { cores: cpus().length, memoryKiB: Math.floor(totalmem() / 1024) };
}

/**
 * The limits in force: what the user gave, else one worker per core and the machine's memory shared
 * so that every worker at its limit plus one more host still fits (never more than 4 GiB each).
 */
export function evalWorkerLimits(
  given: { workers?: number; maxMemoryKiB?: number },
  machine: MachineResources,
): EvalWorkerLimits & { defaulted: { workers: boolean; maxMemory: boolean } } {
  const workers = given.workers ?? Math.max(1, machine.cores);
  const shared = Math.floor(machine.memoryKiB / (workers + 1) / 1024) * 1024;
  return {
    workers,
    maxMemoryKiB: given.maxMemoryKiB ?? Math.max(1024, Math.min(MAX_DEFAULT_MEMORY_KIB, shared)),
    defaulted: { workers: given.workers === undefined, maxMemory: given.maxMemoryKiB === undefined },
  };
}

/** What became of one host: the record its expression traced, or Nix's error. */
export type WorkerOutcome<R> = { key: string; record: R } | { key: string; error: string };

export interface WorkerPoolStats {
  /** Worker slots: processes at once. */
  workers: number;
  maxMemoryKiB: number;
  /** Evaluator processes started. */
  processes: number;
  /** Processes stopped because they passed the memory limit. */
  replaced: number;
  /** The highest VmHWM of any evaluator process. */
  peakKiB: number;
  /** Hosts that alone need more than the limit: a fresh process passed it, or the host grew one by more. */
  overLimitAlone: string[];
}

/** What a capability needs to evaluate many hosts in the pool. */
export interface EvalPool {
  runner: ProcessRunner;
  limits: EvalWorkerLimits;
  nixOptions?: readonly string[];
  memory?: MemoryProbe;
}

/** The outcome of a host the batch process never reached though it ended by itself: not in the flake. */
export const EVALUATOR_ENDED_EARLY = 'the evaluator ended without evaluating this host';

/** What one evaluator process is given: these hosts, or every `count`-th the flake selects. */
export type WorkerBatch = { keys: readonly string[] } | { shard: { index: number; count: number } };

export interface EvalWorkersOptions {
  runner: ProcessRunner;
  nixOptions?: readonly string[];
  limits: EvalWorkerLimits;
  /**
   * The expression that evaluates exactly the batch's hosts, tracing start and done markers for
   * each; for a shard, a `flakeflow-shard` trace of the keys first.
   */
  expression: (batch: WorkerBatch) => string;
  memory?: MemoryProbe;
  signal?: AbortSignal;
  /** How often memory is looked at between traces. */
  sampleMs?: number;
  /** Milliseconds since some fixed point, for the costs that decide whether taking work over pays. */
  now?: () => number;
}

export interface EvalWorkersResult<R> {
  /** One per key, in the order of the keys (for shards, the order the flake selects them in). */
  outcomes: WorkerOutcome<R>[];
  /** With shards: what the first process listed besides the keys (its `names`). */
  listing?: unknown;
  stats: WorkerPoolStats;
}

interface ShardListing {
  keys: string[];
  batch: string[];
  names?: unknown;
}

type Trace = { start: string } | { done: unknown } | { shard: ShardListing };

const TRACE_MARKERS = {
  'flakeflow-host-start ': (text: string): Trace => ({ start: text }),
  'flakeflow-host-done ': (text: string): Trace => ({ done: JSON.parse(text) as unknown }),
  'flakeflow-shard ': (text: string): Trace => ({ shard: JSON.parse(text) as ShardListing }),
};

/** `trace: flakeflow-…` lines, quoted (newer Nix) or not (Nix 2.8). */
export function parseTrace(line: string): Trace | undefined {
  const match = /^trace: (.*)$/.exec(line.trimEnd());
  if (!match) return undefined;
  let text = match[1] as string;
  if (text.startsWith('"')) {
    try {
      text = JSON.parse(text) as string;
    } catch {
      return undefined;
    }
  }
  for (const [marker, read] of Object.entries(TRACE_MARKERS)) {
    if (text.startsWith(marker)) return read(text.slice(marker.length));
  }
  return undefined;
}

/** One running evaluator process and the hosts it is still to evaluate. */
interface Evaluator {
  /** Its hosts in the order it evaluates them; for a shard, known once it listed them. */
  assigned?: string[];
  /** Of those, the ones still its own: not done, not taken over by another worker. */
  own: Set<string>;
  current?: string;
  currentSince: number;
  spawnedAt: number;
  stopped?: 'memory' | 'taken-over';
  stop: AbortController;
}

/**
 * Evaluates `hosts` (or, with `'listed'`, the hosts the flake selects, which each process lists)
 * in `options.limits.workers` processes at once, replacing a process once it passes `maxMemoryKiB`.
 * A host whose evaluation fails is reported with Nix's message and the rest of its batch goes on in
 * a fresh process. A failure before any host started is the flake's own, and is thrown as the
 * NixError it is.
 */
export async function evaluateInWorkers<R>(
  hosts: readonly string[] | 'listed',
  options: EvalWorkersOptions,
): Promise<EvalWorkersResult<R>> {
  const { limits } = options;
  const probe = options.memory ?? procStatusMemory;
  const now = options.now ?? (() => performance.now());
  const nix = new NixCli(options.runner, { nixOptions: options.nixOptions ?? [] });
  const slots = Math.max(1, hosts === 'listed' ? limits.workers : Math.min(limits.workers, hosts.length));
  const queue: WorkerBatch[] =
    hosts === 'listed'
      ? Array.from({ length: slots }, (_, index) => ({ shard: { index, count: slots } }))
      : Array.from({ length: slots }, (_, index) => ({
          keys: hosts.filter((_, position) => position % slots === index),
        }));
  let keys = hosts === 'listed' ? undefined : [...hosts];
  let listing: unknown;
  const outcomes = new Map<string, WorkerOutcome<R>>();
  const running = new Set<Evaluator>();
  const costs = { startMs: 0, starts: 0, hostMs: 0, hosts: 0, grownKiB: 0, grownHosts: 0 };
  const stats: WorkerPoolStats = {
    workers: slots,
    maxMemoryKiB: limits.maxMemoryKiB,
    processes: 0,
    replaced: 0,
    peakKiB: 0,
    overLimitAlone: [],
  };
  let fatal: unknown;
  let wake: (() => void) | undefined;
  const changed = () => {
    wake?.();
    wake = undefined;
  };

  const runProcess = async (batch: WorkerBatch) => {
    stats.processes += 1;
    const evaluator: Evaluator = {
      own: new Set('keys' in batch ? batch.keys : []),
      currentSince: 0,
      spawnedAt: now(),
      stop: new AbortController(),
      ...('keys' in batch ? { assigned: [...batch.keys] } : {}),
    };
    running.add(evaluator);
    const stop = (reason: NonNullable<Evaluator['stopped']>) => {
      evaluator.stopped ??= reason;
      evaluator.stop.abort();
    };
    const onAbort = () => evaluator.stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let pid: number | undefined;
    let hostsDone = 0;
    let overLimit = false;
    let ended = false;
    // Samples are taken as the event loop gets to them, so a host's start and done lines can come in
    // together: its growth counts from the sample before its start line (never later than its start),
    // to the most the process held while on it (the last sample may come when a process that ended
    // with that host is gone).
    let lastRssKiB = 0;
    let rssAtStart = 0;
    let hostRssKiB = 0;
    let started = false;
    const sample = () => {
      const memory = pid === undefined ? undefined : probe(pid);
      if (!memory) return;
      stats.peakKiB = Math.max(stats.peakKiB, memory.peakKiB);
      if (memory.rssKiB > limits.maxMemoryKiB) overLimit = true;
      hostRssKiB = Math.max(hostRssKiB, memory.rssKiB);
      lastRssKiB = memory.rssKiB;
    };
    const markStarted = () => {
      if (started) return;
      started = true;
      costs.startMs += now() - evaluator.spawnedAt;
      costs.starts += 1;
    };
    const onTrace = (trace: Trace) => {
      if ('shard' in trace) {
        markStarted();
        keys ??= trace.shard.keys;
        if (listing === undefined) listing = trace.shard.names;
        evaluator.assigned = trace.shard.batch;
        evaluator.own = new Set(trace.shard.batch.filter((key) => !outcomes.has(key)));
        return;
      }
      if ('start' in trace) {
        markStarted();
        // Another worker took this host over, or it was done elsewhere: so were the ones after it.
        if (!evaluator.own.has(trace.start)) return stop('taken-over');
        evaluator.current = trace.start;
        evaluator.currentSince = now();
        rssAtStart = lastRssKiB;
        hostRssKiB = 0;
        sample();
        return;
      }
      const current = evaluator.current;
      if (current === undefined) return;
      sample();
      const grown = hostRssKiB - rssAtStart;
      if (!outcomes.has(current)) outcomes.set(current, { key: current, record: trace.done as R });
      costs.hostMs += now() - evaluator.currentSince;
      costs.hosts += 1;
      evaluator.own.delete(current);
      evaluator.current = undefined;
      hostsDone += 1;
      if (overLimit && (hostsDone === 1 || grown > limits.maxMemoryKiB)) stats.overLimitAlone.push(current);
      else {
        costs.grownKiB += Math.max(0, grown);
        costs.grownHosts += 1;
      }
      // Stopped before the host that would take it past the limit, by what a host has added so far
      // (one that alone passes the limit is no measure of the others).
      const nextHostKiB = costs.grownHosts > 0 ? costs.grownKiB / costs.grownHosts : 0;
      const nextPasses = lastRssKiB + nextHostKiB > limits.maxMemoryKiB;
      if ((overLimit || nextPasses) && evaluator.own.size > 0) stop('memory');
    };
    const ticker = setInterval(() => {
      sample();
      changed();
    }, options.sampleMs ?? 50);
    try {
      await nix.evalJson(
        { expr: options.expression(batch) },
        {
          impure: true,
          signal: evaluator.stop.signal,
          onSpawn: (spawned) => {
            pid = spawned;
          },
          onLine: (line, from) => {
            if (from !== 'stderr') return;
            const trace = parseTrace(line);
            if (!trace) return;
            onTrace(trace);
            changed();
          },
        },
      );
      ended = true;
    } catch (error) {
      if (!(error instanceof NixError) || options.signal?.aborted) throw error;
      if (!evaluator.stopped) {
        if (evaluator.current === undefined) throw error;
        outcomes.set(evaluator.current, { key: evaluator.current, error: error.nixMessage });
        evaluator.own.delete(evaluator.current);
      }
    } finally {
      clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
      running.delete(evaluator);
      if (evaluator.stopped === 'memory') stats.replaced += 1;
      const left = (evaluator.assigned ?? []).filter((key) => evaluator.own.has(key) && !outcomes.has(key));
      // A process that ended by itself evaluated all it could: what it left is not in the flake.
      if (ended && !evaluator.stopped) {
        for (const key of left) outcomes.set(key, { key, error: EVALUATOR_ENDED_EARLY });
      } else if (left.length > 0) queue.unshift({ keys: left });
      changed();
    }
  };

  /**
   * The hosts an idle worker takes over from the busiest process: the later half of those it has
   * not reached, when they would take longer there than a fresh process needs to start, or when
   * the host it is on has already taken that long beyond an average host.
   */
  const takeOver = (): WorkerBatch | undefined => {
    if (costs.starts === 0) return undefined;
    const startMs = costs.startMs / costs.starts;
    const hostMs = costs.hosts > 0 ? costs.hostMs / costs.hosts : startMs;
    let busiest: { evaluator: Evaluator; pending: string[] } | undefined;
    for (const evaluator of running) {
      if (evaluator.stopped || !evaluator.assigned) continue;
      const pending = evaluator.assigned.filter(
        (key) => evaluator.own.has(key) && key !== evaluator.current && !outcomes.has(key),
      );
      if (pending.length > (busiest?.pending.length ?? 0)) busiest = { evaluator, pending };
    }
    if (!busiest) return undefined;
    const { evaluator, pending } = busiest;
    const taken = pending.slice(Math.floor(pending.length / 2));
    const stuck = evaluator.current !== undefined && now() - evaluator.currentSince > startMs + hostMs;
    if (taken.length * hostMs <= startMs && !stuck) return undefined;
    for (const key of taken) evaluator.own.delete(key);
    return { keys: taken };
  };

  const worker = async () => {
    while (fatal === undefined) {
      const batch = queue.shift() ?? takeOver();
      if (batch) {
        try {
          await runProcess(batch);
        } catch (error) {
          fatal ??= error;
          for (const evaluator of running) evaluator.stop.abort();
        }
        continue;
      }
      if (running.size === 0) return;
      await new Promise<void>((resolve) => {
        const previous = wake;
        wake = () => {
          previous?.();
          resolve();
        };
      });
    }
  };
  await Promise.all(Array.from({ length: slots }, worker));
  if (fatal !== undefined) throw fatal;

  return {
    outcomes: (keys ?? []).map((key) => outcomes.get(key) ?? { key, error: EVALUATOR_ENDED_EARLY }),
    ...(listing === undefined ? {} : { listing }),
    stats,
  };
}

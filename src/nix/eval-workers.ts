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
 * 2.8 only; `nix repl` prints differently from one version to the next. So each worker slot runs
 * short-lived processes, each given a batch of hosts as the queue shrinks (a large share first,
 * single hosts at the end), and a process whose memory passes the limit is stopped as soon as the
 * host it is on is done; the hosts left of its batch go to a fresh process. Progress is read from
 * the `flakeflow-host-start <key>` and `flakeflow-host-done <json>` traces nix/fleet.nix leaves,
 * which every Nix version prints on stderr as it goes.
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

export interface EvalWorkersOptions {
  runner: ProcessRunner;
  nixOptions?: readonly string[];
  limits: EvalWorkerLimits;
  /** The expression that evaluates exactly these hosts, tracing start and done markers for each. */
  expression: (keys: readonly string[]) => string;
  memory?: MemoryProbe;
  signal?: AbortSignal;
  /** How often memory is looked at between traces. */
  sampleMs?: number;
}

export interface EvalWorkersResult<R> {
  /** One per key, in the order of the keys. */
  outcomes: WorkerOutcome<R>[];
  stats: WorkerPoolStats;
}

type Trace = { start: string } | { done: unknown };

/** `trace: flakeflow-host-…` lines, quoted (newer Nix) or not (Nix 2.8). */
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
  if (text.startsWith('flakeflow-host-start ')) return { start: text.slice('flakeflow-host-start '.length) };
  if (text.startsWith('flakeflow-host-done ')) {
    return { done: JSON.parse(text.slice('flakeflow-host-done '.length)) as unknown };
  }
  return undefined;
}

/**
 * Evaluates every key in `options.limits.workers` processes at once, replacing a process once it
 * passes `maxMemoryKiB`. A host whose evaluation fails is reported with Nix's message and the rest
 * of its batch goes on in a fresh process. A failure before any host started is the flake's own,
 * and is thrown as the NixError it is.
 */
export async function evaluateInWorkers<R>(
  keys: readonly string[],
  options: EvalWorkersOptions,
): Promise<EvalWorkersResult<R>> {
  const { limits } = options;
  const probe = options.memory ?? procStatusMemory;
  const nix = new NixCli(options.runner, { nixOptions: options.nixOptions ?? [] });
  const queue = [...keys];
  const outcomes = new Map<string, WorkerOutcome<R>>();
  const stats: WorkerPoolStats = {
    workers: limits.workers,
    maxMemoryKiB: limits.maxMemoryKiB,
    processes: 0,
    replaced: 0,
    peakKiB: 0,
    overLimitAlone: [],
  };
  let fatal: unknown;

  const runProcess = async (batch: string[]) => {
    stats.processes += 1;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let pid: number | undefined;
    let current: string | undefined;
    let hostsDone = 0;
    let overLimit = false;
    let stopped = false;
    let ended = false;
    let rssAtStart = 0;
    const sample = (): number => {
      const memory = pid === undefined ? undefined : probe(pid);
      if (!memory) return 0;
      stats.peakKiB = Math.max(stats.peakKiB, memory.peakKiB);
      if (memory.rssKiB > limits.maxMemoryKiB) overLimit = true;
      return memory.rssKiB;
    };
    const onTrace = (trace: Trace) => {
      if ('start' in trace) {
        current = trace.start;
        rssAtStart = sample();
        return;
      }
      if (current === undefined) return;
      const grown = sample() - rssAtStart;
      outcomes.set(current, { key: current, record: trace.done as R });
      hostsDone += 1;
      if (overLimit && (hostsDone === 1 || grown > limits.maxMemoryKiB)) stats.overLimitAlone.push(current);
      current = undefined;
      if (overLimit && !stopped && batch.some((key) => !outcomes.has(key))) {
        stopped = true;
        stop.abort();
      }
    };
    const ticker = setInterval(sample, options.sampleMs ?? 100);
    try {
      await nix.evalJson(
        { expr: options.expression(batch) },
        {
          impure: true,
          signal: stop.signal,
          onSpawn: (spawned) => {
            pid = spawned;
          },
          onLine: (line, from) => {
            if (from !== 'stderr') return;
            const trace = parseTrace(line);
            if (trace) onTrace(trace);
          },
        },
      );
      ended = true;
    } catch (error) {
      if (!(error instanceof NixError)) throw error;
      if (options.signal?.aborted) throw error;
      if (!stopped) {
        if (current === undefined) throw error;
        outcomes.set(current, { key: current, error: error.nixMessage });
      }
    } finally {
      clearInterval(ticker);
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (stopped) stats.replaced += 1;
    const left = batch.filter((key) => !outcomes.has(key));
    // A process that ended by itself evaluated all it could: what it left is not in the flake.
    if (ended && !stopped) {
      for (const key of left) outcomes.set(key, { key, error: EVALUATOR_ENDED_EARLY });
    } else queue.unshift(...left);
  };

  const slot = async () => {
    while (queue.length > 0 && fatal === undefined) {
      const size = Math.max(1, Math.ceil(queue.length / (2 * limits.workers)));
      try {
        await runProcess(queue.splice(0, size));
      } catch (error) {
        fatal ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limits.workers, keys.length)) }, slot));
  if (fatal !== undefined) throw fatal;

  return {
    outcomes: keys.map((key) => outcomes.get(key) as WorkerOutcome<R>),
    stats,
  };
}

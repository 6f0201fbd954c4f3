import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { NixError } from './errors.js';
import {
  EVALUATOR_ENDED_EARLY,
  type EvalPool,
  evaluateInWorkers,
  type WorkerBatch,
  type WorkerOutcome,
  type WorkerPoolStats,
} from './eval-workers.js';
import type { HostBackupFacts } from './fleet.js';
import { type FleetCall, fleetExpression } from './fleet-expression.js';
import {
  type EvaluationRequest,
  type FleetEvaluation,
  type FleetEvaluator,
  type FleetRecord,
  type HostListRequest,
  hostErrorText,
  hostFromRecord,
} from './fleet-hosts.js';
import { type EvaluatedHost, type FailedHost, type HostRef, hostFromKey, hostKey } from './fleet-types.js';

export interface PooledHostList {
  /** In the order asked; a host the flake does not have is left out. */
  outcomes: (EvaluatedHost | FailedHost)[];
  stats: WorkerPoolStats;
}

/**
 * evaluateHostList in the bounded evaluator pool (src/nix/eval-workers.ts): each batch is
 * nix/fleet.nix with `only` its hosts, so a host that fails fails alone, with Nix's own message.
 * When the flake itself does not evaluate, every host fails with its message, as evaluateHostList's do.
 */
export async function evaluateHostListInPool(
  pool: EvalPool,
  request: HostListRequest,
): Promise<PooledHostList> {
  try {
    return await evaluateInPool(pool, request);
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    const { workers, maxMemoryKiB } = pool.limits;
    return {
      outcomes: request.hosts.map((host) => ({
        kind: host.kind,
        name: host.name,
        error: hostErrorText(error.nixMessage, request.expressionFile),
      })),
      stats: { workers, maxMemoryKiB, processes: 0, replaced: 0, peakKiB: 0, overLimitAlone: [] },
    };
  }
}

/** The pool's outcomes; a failure before any host started is the flake's own, thrown as its NixError. */
async function evaluateInPool(pool: EvalPool, request: HostListRequest): Promise<PooledHostList> {
  const keys = request.hosts.map(hostKey);
  const kinds = [...new Set(request.hosts.map((host) => host.kind))];
  const { outcomes, stats } = await evaluateInWorkers<FleetRecord>(keys, {
    ...poolOptions(pool, request.signal),
    expression: batchExpression({
      flakeDir: request.flakeDir,
      kinds,
      expressionFile: request.expressionFile,
    }),
  });
  return { outcomes: hostOutcomes(outcomes, request.expressionFile), stats };
}

/** nix/fleet.nix evaluating one process's hosts: its shard of those `call` selects, or the keys it is given. */
function batchExpression(call: FleetCall): (batch: WorkerBatch) => string {
  return (batch) =>
    fleetExpression({
      ...call,
      facts: ['hosts'],
      ...('keys' in batch ? { only: batch.keys } : { shard: batch.shard }),
    });
}

function poolOptions(pool: EvalPool, signal: AbortSignal | undefined) {
  return {
    runner: pool.runner,
    nixOptions: pool.nixOptions,
    limits: pool.limits,
    memory: pool.memory,
    signal,
  };
}

/** The hosts the records describe, in their order; a host the flake does not have is left out. */
function hostOutcomes(
  outcomes: readonly WorkerOutcome<FleetRecord>[],
  expressionFile: string | undefined,
): (EvaluatedHost | FailedHost)[] {
  const results: (EvaluatedHost | FailedHost)[] = [];
  for (const outcome of outcomes) {
    const ref = hostFromKey(outcome.key);
    if ('record' in outcome) {
      results.push(
        hostFromRecord(outcome.record) ?? { ...ref, error: 'the host evaluated to no derivation' },
      );
    } else if (outcome.error !== EVALUATOR_ENDED_EARLY) {
      results.push({ ...ref, error: hostErrorText(outcome.error, expressionFile) });
    }
  }
  return results;
}

/**
 * The hosts `call` selects, in the pool: each worker's process lists them and evaluates its share,
 * so nothing evaluates before the pool. `names` are every host with whether it was selected. When
 * the flake itself does not evaluate, its NixError is thrown.
 */
export async function evaluateFleetInPool(
  pool: EvalPool,
  call: FleetCall,
  signal?: AbortSignal,
): Promise<PooledHostList & { names: (HostRef & { selected: boolean })[] }> {
  const { outcomes, listing, stats } = await evaluateInWorkers<FleetRecord>('listed', {
    ...poolOptions(pool, signal),
    expression: batchExpression(call),
  });
  return {
    outcomes: hostOutcomes(outcomes, call.expressionFile),
    names: (listing ?? []) as (HostRef & { selected: boolean })[],
    stats,
  };
}

export interface PooledFleetEvaluatorOptions extends EvalPool {
  logger: Logger;
  expressionFile?: string;
}

/**
 * Evaluates the hosts in the bounded evaluator pool: each worker's process lists the hosts and
 * evaluates its share, and the records are the same as the one-process evaluation's.
 */
export class PooledFleetEvaluator implements FleetEvaluator {
  constructor(private readonly options: PooledFleetEvaluatorOptions) {}

  async evaluate(request: EvaluationRequest): Promise<FleetEvaluation> {
    const call: FleetCall = {
      flakeDir: request.flakeDir,
      kinds: request.kinds,
      include: request.include,
      exclude: request.exclude,
      expressionFile: this.options.expressionFile,
    };
    const doesNotEvaluate = (error: unknown): never => {
      if (!(error instanceof NixError)) throw error;
      throw new UserError(`The flake of ${request.label} does not evaluate:\n${error.nixMessage}`);
    };
    const { outcomes, names, stats } = await evaluateFleetInPool(this.options, call, request.signal).catch(
      doesNotEvaluate,
    );

    const hosts: EvaluatedHost[] = [];
    const failed: FailedHost[] = [];
    for (const outcome of outcomes) {
      if ('error' in outcome) {
        failed.push(outcome);
        this.options.logger.warning(
          `${outcome.name} (${outcome.kind}) failed to evaluate in ${request.label}`,
        );
      } else hosts.push(outcome);
    }
    for (const key of stats.overLimitAlone) {
      this.options.logger.warning(
        `${key} alone took an evaluator past eval-max-memory; it was evaluated in a process of its own`,
      );
    }
    return {
      hosts,
      failed,
      unselected: names.filter((host) => !host.selected).map(({ kind, name }) => ({ kind, name })),
      evaluator: 'nix eval',
      processes: stats.processes,
      workers: stats,
    };
  }
}

/** What init reads of one host: its system and, for a NixOS host, its restic backups; null where they fail. */
export interface HostInspection extends HostRef {
  system: string | null;
  backups: HostBackupFacts | null;
}

/**
 * Every host's inspection, in the pool: a host whose evaluation aborts its evaluator is a
 * FailedHost with Nix's message; what a host's system or backups throw is null. When the flake
 * itself does not evaluate, its NixError is thrown.
 */
export async function inspectHostsInPool(
  pool: EvalPool,
  request: { flakeDir: string; signal?: AbortSignal; expressionFile?: string },
): Promise<{ hosts: (HostInspection | FailedHost)[]; stats: WorkerPoolStats }> {
  const { outcomes, stats } = await evaluateInWorkers<HostInspection>('listed', {
    ...poolOptions(pool, request.signal),
    expression: batchExpression({
      flakeDir: request.flakeDir,
      hostRecord: 'inspect',
      tolerant: true,
      expressionFile: request.expressionFile,
    }),
  });
  return {
    hosts: outcomes.map((outcome) =>
      'record' in outcome
        ? outcome.record
        : { ...hostFromKey(outcome.key), error: hostErrorText(outcome.error, request.expressionFile) },
    ),
    stats,
  };
}

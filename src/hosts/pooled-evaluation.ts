import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { NixCli } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import { type EvalWorkerLimits, evaluateInWorkers, type MemoryProbe } from '../nix/eval-workers.js';
import {
  type EvaluationRequest,
  type FleetEvaluation,
  type FleetEvaluator,
  type FleetRecord,
  hostFromRecord,
} from './evaluate.js';
import { type FleetCall, fleetExpression } from './fleet-expression.js';
import { type EvaluatedHost, type FailedHost, type HostRef, hostKey } from './host.js';

export interface PooledFleetEvaluatorOptions {
  nixOptions?: readonly string[];
  logger: Logger;
  limits: EvalWorkerLimits;
  memory?: MemoryProbe;
  expressionFile?: string;
}

/**
 * Evaluates the hosts in a pool of bounded `nix eval` processes (src/nix/eval-workers.ts): one cheap
 * `nix eval` lists the hosts, then each batch is nix/fleet-hosts.nix with `only` those hosts, whose
 * records are the same as the one-process evaluation's.
 */
export class PooledFleetEvaluator implements FleetEvaluator {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly options: PooledFleetEvaluatorOptions,
  ) {}

  async evaluate(request: EvaluationRequest): Promise<FleetEvaluation> {
    const call: FleetCall = {
      flakeDir: request.flakeDir,
      kinds: request.kinds,
      include: request.include,
      exclude: request.exclude,
      expressionFile: this.options.expressionFile,
    };
    const doesNotEvaluate = (error: unknown) => {
      if (error instanceof NixError) {
        return new UserError(`The flake of ${request.label} does not evaluate:\n${error.nixMessage}`);
      }
      return error;
    };
    const nix = new NixCli(this.runner, { nixOptions: this.options.nixOptions ?? [] });
    const names = await nix
      .evalJson<(HostRef & { selected: boolean })[]>(
        { expr: fleetExpression({ ...call, format: 'names' }) },
        { impure: true, signal: request.signal },
      )
      .catch((error: unknown) => {
        throw doesNotEvaluate(error);
      });
    const selected = names.filter((host) => host.selected).map(hostKey);
    const pool = await evaluateInWorkers<FleetRecord>(selected, {
      runner: this.runner,
      nixOptions: this.options.nixOptions,
      limits: this.options.limits,
      memory: this.options.memory,
      signal: request.signal,
      expression: (keys) => fleetExpression({ ...call, only: keys }),
    }).catch((error: unknown) => {
      throw doesNotEvaluate(error);
    });

    const hosts: EvaluatedHost[] = [];
    const failed: FailedHost[] = [];
    const byKey = new Map(names.map((host) => [hostKey(host), host]));
    for (const outcome of pool.outcomes) {
      const ref = byKey.get(outcome.key) as HostRef;
      const host = 'record' in outcome ? hostFromRecord(outcome.record) : undefined;
      if (host) hosts.push(host);
      else {
        const error = 'error' in outcome ? outcome.error : 'the host evaluated to no derivation';
        failed.push({ kind: ref.kind, name: ref.name, error });
        this.options.logger.warning(`${ref.name} (${ref.kind}) failed to evaluate in ${request.label}`);
      }
    }
    for (const key of pool.stats.overLimitAlone) {
      this.options.logger.warning(
        `${key} alone took an evaluator past eval-max-memory; it was evaluated in a process of its own`,
      );
    }
    return {
      hosts,
      failed,
      unselected: names.filter((host) => !host.selected).map(({ kind, name }) => ({ kind, name })),
      evaluator: 'nix eval',
      processes: pool.stats.processes + 1,
      workers: pool.stats,
    };
  }
}

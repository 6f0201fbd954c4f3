import { mapConcurrently } from '../core/concurrency.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../core/process.js';
import { NixCli } from './cli.js';
import { NixError } from './errors.js';
import { parseTrace } from './eval-workers.js';
import { type FleetCall, fleetExpression } from './fleet-expression.js';
import {
  type EvaluationRequest,
  evaluateHostList,
  type FleetEvaluation,
  type FleetEvaluator,
  type FleetRecord,
  hostErrorText,
  hostFromRecord,
} from './fleet-hosts.js';
import { type EvaluatedHost, type FailedHost, type HostRef, hostFromKey, hostKey } from './fleet-types.js';

// Apart from fleet-hosts.ts, which every host evaluation imports: the actions evaluate their hosts in the
// pool or with nix-eval-jobs, so their bundles need not carry this evaluator.

/** Keeps the stderr of the last command, where Nix writes the traces nix/fleet.nix leaves. */
class StderrTap implements ProcessRunner {
  stderr = '';
  constructor(private readonly runner: ProcessRunner) {}
  async run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult> {
    const result = await this.runner.run(command, args, options);
    this.stderr = result.stderr;
    return result;
  }
}

export interface FleetTraces {
  done: FleetRecord[];
  /** The host evaluation had started on when the process stopped. */
  unfinished?: HostRef;
}

/** Reads `trace: flakeflow-host-start …` and `…-done {json}` lines, quoted or not (Nix versions differ). */
export function readFleetTraces(stderr: string): FleetTraces {
  const done: FleetRecord[] = [];
  let started: HostRef | undefined;
  for (const line of stderr.split('\n')) {
    const trace = parseTrace(line);
    if (!trace) continue;
    if ('start' in trace) {
      started = hostFromKey(trace.start);
      continue;
    }
    if (!('done' in trace)) continue;
    done.push(trace.done as FleetRecord);
    started = undefined;
  }
  return { done, ...(started ? { unfinished: started } : {}) };
}

export interface NixEvalFleetEvaluatorOptions {
  nixOptions?: readonly string[];
  logger: Logger;
  /** Processes at once when errors caught by tryEval are asked for. */
  concurrency?: number;
  expressionFile?: string;
}

/**
 * Evaluates every host in one `nix eval --json` of nix/fleet.nix. A host whose error aborts
 * the evaluator is named by the traces; the evaluation goes on from there without it. A host whose
 * error tryEval caught is evaluated once more alone, for Nix's message.
 */
export class NixEvalFleetEvaluator implements FleetEvaluator {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly options: NixEvalFleetEvaluatorOptions,
  ) {}

  async evaluate(request: EvaluationRequest): Promise<FleetEvaluation> {
    const done = new Map<string, EvaluatedHost>();
    const failed: FailedHost[] = [];
    const caught: HostRef[] = [];
    const listed = new Map<string, HostRef>();
    let processes = 0;

    const absorb = (record: FleetRecord) => {
      const ref = { kind: record.kind, name: record.name };
      listed.set(hostKey(ref), ref);
      const host = hostFromRecord(record);
      if (host) done.set(hostKey(host), host);
      else if ('failed' in record) caught.push(ref);
    };
    const settled = () => [...done.keys(), ...failed.map(hostKey), ...caught.map(hostKey)];

    for (;;) {
      processes += 1;
      const tap = new StderrTap(this.runner);
      try {
        const { hosts: records } = await this.nix(tap).evalJson<{ hosts: FleetRecord[] }>(
          { expr: this.expression(request, { skip: settled() }) },
          { impure: true, signal: request.signal },
        );
        for (const record of records) absorb(record);
        break;
      } catch (error) {
        if (!(error instanceof NixError)) throw error;
        const traces = readFleetTraces(tap.stderr);
        for (const record of traces.done) absorb(record);
        const broken = traces.unfinished;
        if (!broken || settled().includes(hostKey(broken))) {
          throw new UserError(`The flake of ${request.label} does not evaluate:\n${error.nixMessage}`);
        }
        listed.set(hostKey(broken), broken);
        failed.push({ ...broken, error: hostErrorText(error.nixMessage, this.options.expressionFile) });
        this.options.logger.warning(
          `${broken.name} (${broken.kind}) failed to evaluate in ${request.label}; evaluating the remaining hosts without it`,
        );
      }
    }

    const explained = await mapConcurrently(caught, this.options.concurrency ?? 4, async (host) => {
      processes += 1;
      const [outcome] = await evaluateHostList(this.nix(this.runner), {
        flakeDir: request.flakeDir,
        hosts: [host],
        expressionFile: this.options.expressionFile,
        signal: request.signal,
      });
      return (
        outcome ?? {
          ...host,
          error: 'the host failed to evaluate, and then evaluated alone without an error',
        }
      );
    });
    for (const outcome of explained) {
      if ('error' in outcome) failed.push(outcome);
      else done.set(hostKey(outcome), outcome);
    }

    const evaluatedKeys = new Set([...done.keys(), ...failed.map(hostKey)]);
    return {
      hosts: [...done.values()],
      failed,
      unselected: [...listed.entries()].filter(([key]) => !evaluatedKeys.has(key)).map(([, host]) => host),
      evaluator: 'nix eval',
      processes,
    };
  }

  private nix(runner: ProcessRunner): NixCli {
    return new NixCli(runner, { nixOptions: this.options.nixOptions ?? [] });
  }

  private expression(request: EvaluationRequest, extra: Pick<FleetCall, 'skip'>): string {
    return fleetExpression({
      flakeDir: request.flakeDir,
      kinds: request.kinds,
      include: request.include,
      exclude: request.exclude,
      expressionFile: this.options.expressionFile,
      ...extra,
    });
  }
}

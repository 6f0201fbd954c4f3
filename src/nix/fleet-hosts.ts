import { mapConcurrently } from '../core/concurrency.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../core/process.js';
import { NixCli } from './cli.js';
import { NixError, withoutFramesIn } from './errors.js';
import { parseTrace, type WorkerPoolStats } from './eval-workers.js';
import { type FleetCall, fleetExpression, fleetExpressionPath } from './fleet-expression.js';
import {
  type EvaluatedHost,
  type FailedHost,
  type HostKind,
  type HostRef,
  hostFromKey,
  hostKey,
} from './fleet-types.js';

export interface EvaluationRequest {
  /** The flake directory, absolute. */
  flakeDir: string;
  kinds: readonly HostKind[];
  /** Extended regular expressions over host names (see globs.ts). */
  include?: readonly string[];
  exclude?: readonly string[];
  /** Names this side of the comparison in messages: `the working tree`, `origin/main`. */
  label: string;
  signal?: AbortSignal;
}

export type EvaluatorName = 'nix eval' | 'nix-eval-jobs';

export interface FleetEvaluation {
  hosts: EvaluatedHost[];
  failed: FailedHost[];
  /** Hosts include/exclude left out: listed, never evaluated. */
  unselected: HostRef[];
  evaluator: EvaluatorName;
  /** Evaluator processes it took: one, plus one per host whose error had to be asked for. */
  processes: number;
  /** How the pool of bounded evaluator processes went, when one evaluated the hosts. */
  workers?: WorkerPoolStats;
}

export interface FleetEvaluator {
  evaluate(request: EvaluationRequest): Promise<FleetEvaluation>;
}

/** What the `hosts` fact of nix/fleet.nix holds for one host. */
export type FleetRecord =
  | (HostRef & { selected: false })
  | (HostRef & { failed: true })
  | (HostRef & { attr: string[]; system: string; buildSystem: string; drvPath: string; output: string });

export function hostFromRecord(record: FleetRecord): EvaluatedHost | undefined {
  if (!('drvPath' in record)) return undefined;
  return {
    kind: record.kind,
    name: record.name,
    attrPath: record.attr,
    system: record.system,
    buildSystem: record.buildSystem,
    drvPath: record.drvPath,
    outPath: record.output,
  };
}

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

/** Nix's message for a host that failed, without the frames of nix/fleet.nix itself. */
export function hostErrorText(nixMessage: string, expressionFile?: string): string {
  return withoutFramesIn(nixMessage, expressionFile ?? fleetExpressionPath());
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

export interface HostListRequest {
  /** The flake directory, absolute. */
  flakeDir: string;
  /** The hosts to evaluate, by kind and name. */
  hosts: readonly HostRef[];
  expressionFile?: string;
  signal?: AbortSignal;
}

/**
 * Evaluates the named hosts, without catching their errors, in one evaluator process: the unit a
 * pool of evaluator workers can take over. A host the flake does not have is left out of the
 * results; a host that fails fails them all, with Nix's own message.
 */
export async function evaluateHostList(
  nix: NixCli,
  request: HostListRequest,
): Promise<(EvaluatedHost | FailedHost)[]> {
  if (request.hosts.length === 0) return [];
  const kinds = [...new Set(request.hosts.map((host) => host.kind))];
  try {
    const { hosts: records } = await nix.evalJson<{ hosts: FleetRecord[] }>(
      {
        expr: fleetExpression({
          flakeDir: request.flakeDir,
          kinds,
          only: request.hosts.map(hostKey),
          expressionFile: request.expressionFile,
        }),
      },
      { impure: true, signal: request.signal },
    );
    return records.map(hostFromRecord).filter((host) => host !== undefined);
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    return request.hosts.map((host) => ({
      ...host,
      error: hostErrorText(error.nixMessage, request.expressionFile),
    }));
  }
}

import { installable, type NixCli, type NixRunOptions } from './cli.js';
import { NixError, withoutFramesIn } from './errors.js';
import type { WorkerPoolStats } from './eval-workers.js';
import { fleetExpression, fleetExpressionPath } from './fleet-expression.js';
import { type EvaluatedHost, type FailedHost, type HostKind, type HostRef, hostKey } from './fleet-types.js';

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

/** Nix's message for a host that failed, without the frames of nix/fleet.nix itself. */
export function hostErrorText(nixMessage: string, expressionFile?: string): string {
  return withoutFramesIn(nixMessage, expressionFile ?? fleetExpressionPath());
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

/**
 * The output path of the attribute `attrPath` of the flake (a host's toplevel, or any attribute a
 * build names), evaluated through the flake's installable so Nix says when the attribute is missing.
 */
export function readOutPath(
  nix: NixCli,
  flakeDir: string,
  attrPath: readonly string[],
  options: NixRunOptions = {},
): Promise<string> {
  return nix.evalJson<string>(`${installable(flakeDir, attrPath)}.outPath`, options);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type ProcessRunner, succeeded } from '../core/process.js';
import { NixCli } from './cli.js';
import { NixError, nixErrorText } from './errors.js';
import { fleetExpression } from './fleet-expression.js';
import type { EvaluationRequest, FleetEvaluation, FleetEvaluator } from './fleet-hosts.js';
import {
  defaultAttrPath,
  type EvaluatedHost,
  type FailedHost,
  type HostKind,
  type HostRef,
  hostKey,
  parseAttrPath,
} from './fleet-types.js';

/** One line nix-eval-jobs prints: a derivation, or the error of one attribute. */
export interface EvalJobsLine {
  attr: string;
  /** Absent before nix-eval-jobs 2.9. */
  attrPath?: string[];
  drvPath?: string;
  outputs?: Record<string, string | null>;
  system?: string;
  meta?: { flakeflow?: { attr?: string[]; system?: string } };
  error?: string;
}

export interface NixEvalJobsFleetEvaluatorOptions {
  nixOptions?: readonly string[];
  logger: Logger;
  /** The nix-eval-jobs program found on PATH. */
  command: string;
  /** Evaluator workers; nix-eval-jobs picks one per core when unset. */
  workers?: number;
  /** `--max-memory-size`: a worker past it is replaced once its job is done. */
  maxMemoryMiB?: number;
  /** Where the derivations' GC roots live while the job runs. */
  tempRoot: string;
  expressionFile?: string;
}

/**
 * Evaluates the hosts with nix-eval-jobs: parallel workers, and each host's error reported on its
 * own line. A cheap `nix eval` of the names alone runs beside it, for the hosts include/exclude
 * leave out, which nix-eval-jobs never sees.
 */
export class NixEvalJobsFleetEvaluator implements FleetEvaluator {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly options: NixEvalJobsFleetEvaluatorOptions,
  ) {}

  async evaluate(request: EvaluationRequest): Promise<FleetEvaluation> {
    const call = {
      flakeDir: request.flakeDir,
      kinds: request.kinds,
      include: request.include,
      exclude: request.exclude,
      expressionFile: this.options.expressionFile,
    };
    const nix = new NixCli(this.runner, { nixOptions: this.options.nixOptions ?? [] });
    const namesQuery = nix
      .evalJson<{ names: (HostRef & { selected: boolean })[] }>(
        { expr: fleetExpression({ ...call, facts: ['names'] }) },
        { impure: true, signal: request.signal },
      )
      .then((facts) => facts.names)
      .catch((error: unknown) => {
        if (error instanceof NixError) {
          throw new UserError(`The flake of ${request.label} does not evaluate:\n${error.nixMessage}`);
        }
        throw error;
      });
    const gcRoots = await mkdtemp(join(this.options.tempRoot, 'flakeflow-gcroots-'));
    try {
      const [names, lines] = await Promise.all([
        namesQuery,
        this.runJobs(fleetExpression({ ...call, format: 'jobs' }), gcRoots, request),
      ]);
      return assemble(names, lines);
    } finally {
      await rm(gcRoots, { recursive: true, force: true });
    }
  }

  private async runJobs(expr: string, gcRoots: string, request: EvaluationRequest): Promise<EvalJobsLine[]> {
    const args = [
      '--option',
      'extra-experimental-features',
      'nix-command flakes',
      ...(this.options.nixOptions ?? []),
      '--impure',
      '--meta',
      '--gc-roots-dir',
      gcRoots,
      ...(this.options.workers ? ['--workers', String(this.options.workers)] : []),
      ...(this.options.maxMemoryMiB ? ['--max-memory-size', String(this.options.maxMemoryMiB)] : []),
      '--expr',
      expr,
    ];
    const result = await this.runner.run(this.options.command, args, { signal: request.signal, role: 'nix' });
    const lines = parseEvalJobsOutput(result.stdout);
    if (!succeeded(result) && lines.length === 0) {
      throw new UserError(
        `The flake of ${request.label} does not evaluate (nix-eval-jobs):\n${nixErrorText(result.stderr)}`,
      );
    }
    return lines;
  }
}

export function parseEvalJobsOutput(stdout: string): EvalJobsLine[] {
  const lines: EvalJobsLine[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as EvalJobsLine);
    } catch {
      // A line cut short by a killed worker is not a host.
    }
  }
  return lines;
}

/** `[kind, name]` of a line, from attrPath or, on old versions, from the joined attr. */
function refOf(line: EvalJobsLine): HostRef | undefined {
  const path = line.attrPath ?? parseAttrPath(line.attr);
  if (path.length !== 2) return undefined;
  return { kind: path[0] as HostKind, name: path[1] as string };
}

function assemble(
  names: readonly (HostRef & { selected: boolean })[],
  lines: readonly EvalJobsLine[],
): FleetEvaluation {
  const hosts: EvaluatedHost[] = [];
  const failed: FailedHost[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const ref = refOf(line);
    if (!ref) continue;
    seen.add(hostKey(ref));
    const outPath = line.outputs?.out ?? Object.values(line.outputs ?? {}).find((path) => path);
    if (line.error !== undefined || !line.drvPath || !outPath) {
      failed.push({ ...ref, error: nixErrorText(line.error ?? 'nix-eval-jobs reported no derivation') });
      continue;
    }
    const flakeflow = line.meta?.flakeflow;
    hosts.push({
      ...ref,
      attrPath: flakeflow?.attr ?? defaultAttrPath(ref),
      system: flakeflow?.system ?? line.system ?? '',
      buildSystem: line.system ?? flakeflow?.system ?? '',
      drvPath: line.drvPath,
      outPath,
    });
  }
  for (const host of names) {
    if (host.selected && !seen.has(hostKey(host))) {
      failed.push({ kind: host.kind, name: host.name, error: 'nix-eval-jobs printed nothing for this host' });
    }
  }
  const order = new Map(names.map((host, index) => [hostKey(host), index]));
  const byName = (a: HostRef, b: HostRef) => (order.get(hostKey(a)) ?? 0) - (order.get(hostKey(b)) ?? 0);
  return {
    hosts: hosts.sort(byName),
    failed: failed.sort(byName),
    unselected: names.filter((host) => !host.selected).map(({ kind, name }) => ({ kind, name })),
    evaluator: 'nix-eval-jobs',
    processes: 2,
  };
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import type { SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { withRevisionCheckout } from '../core/revision-checkout.js';
import { accessGiven } from '../nix/access-inputs.js';
import { type EvalWorkerLimits, evalWorkerLimits, type MemoryProbe } from '../nix/eval-workers.js';
import { NixEvalJobsFleetEvaluator } from '../nix/fleet-eval-jobs.js';
import type { EvaluationRequest, FleetEvaluation, FleetEvaluator } from '../nix/fleet-hosts.js';
import { PooledFleetEvaluator } from '../nix/fleet-pool.js';
import { explainFetchFailure, explainingFetchFailures } from '../nix/input-fetch.js';
import { findCachedPaths, type NarinfoProbe } from './binary-cache.js';
import { globToRegex, matchesAny } from './globs.js';
import { attrPathText, type EvaluatedHost, type HostKind, type HostRef, hostKey } from './host.js';
import type { hostsInputs } from './inputs.js';
import { type HostEntry, type MatrixEntry, matrixEntry, packMatrix } from './matrix.js';
import { evalRunner, runnerMap, runnerText } from './runners.js';

export type HostsSettings = SettingsOf<typeof hostsInputs>;

export interface HostsDependencies {
  runner: ProcessRunner;
  logger: Logger;
  probe: NarinfoProbe;
  /** The checkout `path` is relative to. */
  workspace: string;
  /** Where base checkouts and scratch files go (RUNNER_TEMP). */
  tempDir: string;
  /** nix-eval-jobs when it is on PATH. */
  evalJobsCommand?: string;
  /** The runner's cores and memory, for the defaults of eval-workers and eval-max-memory. */
  machine: { cores: number; memoryKiB: number };
  /** Reads an evaluator's memory; /proc/<pid>/status by default. */
  memory?: MemoryProbe;
  signal?: AbortSignal;
  now?: () => number;
}

export interface BaseComparison {
  revision: string;
  commit: string;
  /** False when the base did not evaluate at all: every host then counts as changed. */
  evaluated: boolean;
  error?: string;
}

export interface HostsResult {
  flakeDir: string;
  /** Every host with its status, in the fleet's order. */
  hosts: HostEntry[];
  /** The matrix entries, packed when the hosts outnumber `max-jobs`. */
  matrix: MatrixEntry[];
  /** Hosts the matrix builds or evaluates (more than its entries when packed). */
  count: number;
  evaluator: FleetEvaluation['evaluator'];
  processes: number;
  /** eval-workers and eval-max-memory as they came to, and whether each was the default. */
  limits: ReturnType<typeof evalWorkerLimits>;
  /** The pool of bounded evaluators of the working tree, when it evaluated the hosts. */
  workers?: FleetEvaluation['workers'];
  durationMs: number;
  base?: BaseComparison;
  caches: readonly string[];
}

function flakeDirOf(settings: HostsSettings, workspace: string): string {
  const flakeDir = resolve(workspace, settings.path);
  if (!existsSync(join(flakeDir, 'flake.nix'))) {
    throw new UserError(
      `Input 'path' must be a directory holding a flake.nix, got '${settings.path}' (${flakeDir})`,
    );
  }
  return flakeDir;
}

function selectionReason(host: HostRef, include: readonly string[], settings: HostsSettings): string {
  if (include.length > 0 && !matchesAny(include, host.name)) {
    return `not matched by include (${(settings.include ?? []).join(', ')})`;
  }
  return `excluded (${(settings.exclude ?? []).join(', ')})`;
}

/** Lists the fleet's hosts as a build matrix: one evaluation, changed-only and cache-aware. */
export async function listHosts(
  settings: HostsSettings,
  dependencies: HostsDependencies,
): Promise<HostsResult> {
  const { logger } = dependencies;
  const now = dependencies.now ?? Date.now;
  const started = now();
  const flakeDir = flakeDirOf(settings, dependencies.workspace);
  const include = (settings.include ?? []).map((glob) => globToRegex(glob, 'include'));
  const exclude = (settings.exclude ?? []).map((glob) => globToRegex(glob, 'exclude'));
  const limits = evalWorkerLimits(
    { workers: settings['eval-workers'], maxMemoryKiB: settings['eval-max-memory'] },
    dependencies.machine,
  );
  const evaluator = makeEvaluator(settings, limits, dependencies);
  const request = (dir: string, label: string): EvaluationRequest => ({
    flakeDir: dir,
    kinds: settings.kinds as HostKind[],
    include: include.length > 0 ? include : undefined,
    exclude,
    label,
    signal: dependencies.signal,
  });

  const revision = settings['changed-since'];
  const diagnosis = {
    runner: dependencies.runner,
    nixOptions: { nixOptions: settings['nix-options'] ?? [] },
    flakeDir,
    ...accessGiven(settings),
    ...(dependencies.signal ? { signal: dependencies.signal } : {}),
  };
  const [head, base] = await Promise.all([
    explainingFetchFailures(evaluator.evaluate(request(flakeDir, 'the working tree')), diagnosis, logger),
    revision ? evaluateBase(revision, flakeDir, evaluator, request, dependencies) : undefined,
  ]);
  if (head.failed.length > 0) {
    const explained = await explainFetchFailure(
      head.failed.map((host) => host.error).join('\n'),
      diagnosis,
      logger,
    );
    if (explained) throw explained;
  }

  const runners = runnerMap(settings.runners);
  const baseDrvs = new Map(base?.evaluation?.hosts.map((host) => [hostKey(host), host.drvPath]));
  const baseFailed = new Set(base?.evaluation?.failed.map(hostKey));
  const entries = new Map<string, HostEntry>();
  for (const host of head.unselected) {
    entries.set(hostKey(host), {
      host: host.name,
      kind: host.kind,
      status: 'skipped',
      reason: selectionReason(host, include, settings),
    });
  }
  for (const host of head.failed) {
    entries.set(hostKey(host), {
      host: host.name,
      kind: host.kind,
      status: 'failed',
      reason: 'failed to evaluate',
      error: host.error,
    });
  }
  for (const host of head.hosts) {
    entries.set(hostKey(host), classify(host, settings, runners, base?.comparison, baseDrvs, baseFailed));
  }

  await markCached(entries, settings['skip-cached'] ?? [], dependencies, settings['nix-options']);

  const kindOrder = settings.kinds as string[];
  // The order Nix lists them in: by kind as the input names them, then by name, byte by byte.
  const hosts = [...entries.values()].sort(
    (a, b) =>
      kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) ||
      (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
  );
  const unpacked = hosts.flatMap((entry) => {
    if (entry.status === 'build' && entry.runner) return [matrixEntry(entry, entry.runner, false)];
    if (entry.status === 'eval-only') {
      const runner = evalRunner(runners);
      return runner ? [matrixEntry(entry, runner, true)] : [];
    }
    return [];
  });
  const matrix = packMatrix(unpacked, settings['max-jobs']);
  if (matrix.length < unpacked.length) {
    logger.info(
      `Packed ${unpacked.length} hosts into ${matrix.length} matrix entries (max-jobs ${settings['max-jobs']})`,
    );
  }
  return {
    flakeDir,
    hosts,
    matrix,
    count: unpacked.length,
    evaluator: head.evaluator,
    processes: head.processes + (base?.evaluation?.processes ?? 0),
    limits,
    ...(head.workers ? { workers: head.workers } : {}),
    durationMs: now() - started,
    ...(base ? { base: base.comparison } : {}),
    caches: settings['skip-cached'] ?? [],
  };
}

function makeEvaluator(
  settings: HostsSettings,
  limits: EvalWorkerLimits,
  dependencies: HostsDependencies,
): FleetEvaluator {
  const nixOptions = settings['nix-options'] ?? [];
  if (dependencies.evalJobsCommand) {
    return new NixEvalJobsFleetEvaluator(dependencies.runner, {
      nixOptions,
      logger: dependencies.logger,
      command: dependencies.evalJobsCommand,
      tempRoot: dependencies.tempDir,
      workers: limits.workers,
      maxMemoryMiB: Math.max(1, Math.floor(limits.maxMemoryKiB / 1024)),
    });
  }
  return new PooledFleetEvaluator({
    runner: dependencies.runner,
    nixOptions,
    logger: dependencies.logger,
    limits,
    memory: dependencies.memory,
  });
}

async function evaluateBase(
  revision: string,
  flakeDir: string,
  evaluator: FleetEvaluator,
  request: (dir: string, label: string) => EvaluationRequest,
  dependencies: HostsDependencies,
): Promise<{ comparison: BaseComparison; evaluation?: FleetEvaluation }> {
  return withRevisionCheckout(
    {
      runner: dependencies.runner,
      flakeDir,
      revision,
      input: 'changed-since',
      tempRoot: dependencies.tempDir,
    },
    async (checkout) => {
      const comparison = { revision, commit: checkout.commit };
      if (!existsSync(join(checkout.flakeDir, 'flake.nix'))) {
        return { comparison: { ...comparison, evaluated: false, error: `no flake.nix at ${revision}` } };
      }
      try {
        const evaluation = await evaluator.evaluate(request(checkout.flakeDir, revision));
        return { comparison: { ...comparison, evaluated: true }, evaluation };
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        dependencies.logger.warning(
          `${revision} does not evaluate, so every host counts as changed: ${error.message}`,
        );
        return { comparison: { ...comparison, evaluated: false, error: error.message } };
      }
    },
  );
}

function classify(
  host: EvaluatedHost,
  settings: HostsSettings,
  runners: ReturnType<typeof runnerMap>,
  base: BaseComparison | undefined,
  baseDrvs: ReadonlyMap<string, string>,
  baseFailed: ReadonlySet<string>,
): HostEntry {
  const runner = runners[host.buildSystem] ?? runners[host.system];
  const entry: HostEntry = {
    host: host.name,
    kind: host.kind,
    status: 'build',
    reason: '',
    system: host.system,
    ...(runner ? { runner } : {}),
    attr: attrPathText(host.attrPath),
    drvPath: host.drvPath,
    outPath: host.outPath,
  };
  if (!runner) {
    const system = host.buildSystem;
    if (settings.unmapped === 'skip')
      return { ...entry, status: 'skipped', reason: `no runner for ${system}` };
    if (settings.unmapped === 'fail') {
      return {
        ...entry,
        status: 'failed',
        reason: `no runner for ${system}`,
        error: `no runner for ${system}: map it in the runners input`,
      };
    }
  }
  const changed = changeReason(host, base, baseDrvs, baseFailed);
  if (changed === undefined) {
    return { ...entry, status: 'unchanged', reason: `same derivation as ${base?.revision}` };
  }
  if (!runner)
    return {
      ...entry,
      status: 'eval-only',
      reason: joinReasons(`no runner for ${host.buildSystem}`, changed),
    };
  return { ...entry, reason: changed || `builds on ${runnerText(runner)}` };
}

function joinReasons(first: string, second: string): string {
  return second ? `${first}; ${second}` : first;
}

/** Why a host counts as changed since the base; undefined when it did not change; '' without a base. */
function changeReason(
  host: EvaluatedHost,
  base: BaseComparison | undefined,
  baseDrvs: ReadonlyMap<string, string>,
  baseFailed: ReadonlySet<string>,
): string | undefined {
  if (!base) return '';
  if (!base.evaluated) return `${base.revision} does not evaluate`;
  const key = hostKey(host);
  if (baseFailed.has(key)) return `did not evaluate at ${base.revision}`;
  const before = baseDrvs.get(key);
  if (before === undefined) return `new since ${base.revision}`;
  return before === host.drvPath ? undefined : `changed since ${base.revision}`;
}

async function markCached(
  entries: Map<string, HostEntry>,
  caches: readonly string[],
  dependencies: HostsDependencies,
  nixOptions: readonly string[] | undefined,
): Promise<void> {
  if (caches.length === 0) return;
  const candidates = [...entries.values()].filter(
    (entry) => (entry.status === 'build' || entry.status === 'eval-only') && entry.outPath,
  );
  const cached = await findCachedPaths(
    caches,
    candidates.map((entry) => entry.outPath as string),
    {
      probe: dependencies.probe,
      runner: dependencies.runner,
      logger: dependencies.logger,
      nixOptions: nixOptions ?? [],
      signal: dependencies.signal,
    },
  );
  for (const entry of candidates) {
    const cache = cached.get(entry.outPath as string);
    if (cache) Object.assign(entry, { status: 'cached', reason: `already in ${cache}` });
  }
}

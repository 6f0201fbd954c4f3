import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import type { SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { withRevisionCheckout } from '../core/revision-checkout.js';
import { attrPathText, FLEET_HOST_KINDS, parseAttrPath } from '../hosts/host.js';
import { accessGiven } from '../nix/access-inputs.js';
import { installable, NixCli } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import { evalWorkerLimits, type MachineResources, thisMachine } from '../nix/eval-workers.js';
import { evaluateHostListInPool } from '../nix/fleet-pool.js';
import type { EvaluatedHost, FailedHost } from '../nix/fleet-types.js';
import { explainFetchFailure, type InputFetchDiagnosis, looksLikeFetchFailure } from '../nix/input-fetch.js';
import { derivationInstallable, NixStore } from '../nix/store.js';
import type { NixVersion } from '../nix/version.js';
import { type HostBuild, resultFileName, resultFileOf } from './build-result.js';
import { compareClosures } from './compare.js';
import type { buildInputs } from './inputs.js';
import { type PushContext, type PushFailure, pushToStore, pushWithCommand } from './push.js';
import { type BuildTarget, buildTargets, kindOfAttr } from './targets.js';

export type BuildSettings = SettingsOf<typeof buildInputs>;

export interface BuildDependencies {
  runner: ProcessRunner;
  logger: Logger;
  workspace: string;
  /** Scratch space (RUNNER_TEMP): base checkouts, the signing key while it is used. */
  tempDir: string;
  /** Where the result-file is written. */
  resultDir: string;
  /** The runner's cores and memory, for the defaults of eval-workers and eval-max-memory. */
  machine?: MachineResources;
  signal?: AbortSignal;
  now?: () => number;
  /** The step's values of the variables `push-env` names: what `push-command` gets beyond the inherited ones. */
  pushVariables?: Readonly<Record<string, string>>;
}

export interface BuildOutcome {
  results: HostBuild[];
  resultFile: string;
  /** The pushes (`push-to`, `push-command`) that failed; the hosts still built. */
  pushFailures: PushFailure[];
}

/** What is known about a target before it is built: its attribute and, for a host, its kind. */
interface Resolved {
  target: BuildTarget;
  attrPath?: string[];
  kind?: string;
  error?: string;
}

/** Nix refuses a derivation for a system this machine cannot build (and no remote builder can). */
const WRONG_SYSTEM = /a '([^']+)' with features \{[^}]*\} is required to build '[^']+', but I am a '([^']+)'/;

/** Builds the matrix entry's hosts one after the other, compares and pushes them, and writes the result-file. */
export async function buildHosts(
  settings: BuildSettings,
  dependencies: BuildDependencies,
): Promise<BuildOutcome> {
  const targets = buildTargets(settings);
  const { runner, logger, signal } = dependencies;
  const now = dependencies.now ?? Date.now;
  const nixOptions = settings['nix-options'] ?? [];
  const nix = new NixCli(runner, { nixOptions });
  const store = new NixStore(runner, { nixOptions });
  const version = await nix.version();
  const flakeDir = resolve(dependencies.workspace, settings.path);
  const needsFlake =
    Boolean(settings['compare-to']) ||
    targets.some((target) => !target.drvPath || !existsSync(target.drvPath));
  if (needsFlake && !existsSync(join(flakeDir, 'flake.nix'))) {
    throw new UserError(
      `Input 'path' must be a directory holding a flake.nix, got '${settings.path}' (${flakeDir})`,
    );
  }

  // compare-to looks the host up at the other revision by its attribute, so it needs it even when the drv is here.
  const needAttr = Boolean(settings['compare-to']);
  const unresolved = targets.filter((target) => !target.attr && needsEvaluation(target, needAttr));
  const evaluated = await evaluateTargetHosts(unresolved, flakeDir, settings, dependencies);
  const resolved = targets.map((target) => resolveTarget(target, evaluated, needAttr));
  const results: HostBuild[] = [];
  for (const item of resolved) {
    results.push(await buildOne(item, { nix, store, version, flakeDir, logger, signal, now }));
  }
  await explainUnfetched(
    results,
    { runner, nixOptions: { nixOptions }, flakeDir, ...accessGiven(settings), ...(signal ? { signal } : {}) },
    logger,
  );

  const revision = settings['compare-to'];
  if (revision && results.some((result) => result.status === 'built')) {
    await withRevisionCheckout(
      { runner, flakeDir, revision, input: 'compare-to', tempRoot: dependencies.tempDir },
      async (checkout) => {
        for (const [index, result] of results.entries()) {
          if (result.status !== 'built' || !result.outPath) continue;
          result.comparison = await compareClosures({
            revision,
            baseFlakeDir: checkout.flakeDir,
            attrPath: resolved[index]?.attrPath,
            outPath: result.outPath,
            closureSize: result.closureSize,
            nix,
            store,
            signal,
          });
        }
      },
    );
  }

  const pushFailures = await pushBuilt(
    results,
    settings,
    { store, runner, logger, tempDir: dependencies.tempDir, signal },
    dependencies.pushVariables ?? {},
  );

  await mkdir(dependencies.resultDir, { recursive: true });
  const resultFile = join(dependencies.resultDir, resultFileName(targets.map((target) => target.name)));
  await writeFile(resultFile, `${JSON.stringify(resultFileOf(results), null, 2)}\n`);
  return { results, resultFile, pushFailures };
}

function needsEvaluation(target: BuildTarget, needAttr: boolean): boolean {
  return Boolean(target.host) && !(target.drvPath && existsSync(target.drvPath) && !needAttr);
}

/**
 * The hosts named without a derivation in this store, looked up under every kind as the hosts action
 * lists them, in the bounded evaluator pool: a packed entry's hosts are shared by its processes.
 */
async function evaluateTargetHosts(
  targets: readonly BuildTarget[],
  flakeDir: string,
  settings: BuildSettings,
  dependencies: BuildDependencies,
): Promise<Map<string, EvaluatedHost | FailedHost>> {
  if (targets.length === 0) return new Map();
  const hosts = targets.flatMap((target) =>
    FLEET_HOST_KINDS.map((kind) => ({ kind, name: target.host as string })),
  );
  const pool = {
    runner: dependencies.runner,
    nixOptions: settings['nix-options'] ?? [],
    limits: evalWorkerLimits(
      { workers: settings['eval-workers'], maxMemoryKiB: settings['eval-max-memory'] },
      dependencies.machine ?? thisMachine(),
    ),
  };
  const { outcomes } = await evaluateHostListInPool(pool, { flakeDir, hosts, signal: dependencies.signal });
  return new Map(outcomes.map((outcome) => [`${outcome.kind}/${outcome.name}`, outcome]));
}

function resolveTarget(
  target: BuildTarget,
  evaluated: ReadonlyMap<string, EvaluatedHost | FailedHost>,
  needAttr: boolean,
): Resolved {
  if (target.attr) {
    const attrPath = parseAttrPath(target.attr);
    return { target, attrPath, kind: kindOfAttr(attrPath) };
  }
  if (!needsEvaluation(target, needAttr)) return { target };
  const outcomes = FLEET_HOST_KINDS.map((kind) => evaluated.get(`${kind}/${target.host}`));
  const found = outcomes.find((outcome) => outcome !== undefined && !('error' in outcome));
  if (found && !('error' in found)) return { target, attrPath: found.attrPath, kind: found.kind };
  const failed = outcomes.find((outcome) => outcome !== undefined && 'error' in outcome);
  if (failed && 'error' in failed) return { target, error: failed.error };
  return {
    target,
    error: `no host named '${target.host}' in nixosConfigurations, darwinConfigurations, homeConfigurations or checks`,
  };
}

interface BuildContext {
  nix: NixCli;
  store: NixStore;
  version: NixVersion;
  flakeDir: string;
  logger: Logger;
  signal?: AbortSignal;
  now: () => number;
}

async function buildOne(item: Resolved, context: BuildContext): Promise<HostBuild> {
  const { target } = item;
  const started = context.now();
  const base: HostBuild = {
    host: target.name,
    status: 'failed',
    ...(item.kind ? { kind: item.kind } : {}),
    ...(item.attrPath ? { attr: attrPathText(item.attrPath) } : {}),
    ...(target.drvPath ? { drvPath: target.drvPath } : {}),
  };
  if (item.error) return { ...base, error: item.error };

  let what: string;
  if (target.drvPath && existsSync(target.drvPath)) {
    what = derivationInstallable(context.version, target.drvPath);
  } else if (item.attrPath) {
    if (target.drvPath) {
      context.logger.info(
        `${target.drvPath} is not in this store (the hosts job ran elsewhere): evaluating ${attrPathText(item.attrPath)}`,
      );
    }
    what = installable(context.flakeDir, item.attrPath);
  } else {
    return {
      ...base,
      error: `${target.drvPath} is not in this store and neither 'host' nor 'attr' says what to evaluate instead`,
    };
  }

  try {
    const [built] = await context.nix.build([what], {
      group: `Building ${target.name}`,
      signal: context.signal,
    });
    if (!built) throw new Error(`nix build reported nothing for ${what}`);
    const outPath = built.outputs.out ?? (Object.values(built.outputs)[0] as string);
    if (target.drvPath && built.drvPath !== target.drvPath) {
      context.logger.warning(
        `${target.name} evaluates to ${built.drvPath} here, not to ${target.drvPath} as in the hosts job: the flake changed between the jobs`,
      );
    }
    const [system, closureSize] = await Promise.all([
      context.store.derivationSystem(context.version, built.drvPath, { signal: context.signal }),
      context.store.closureSize(outPath, { signal: context.signal }),
    ]);
    return {
      ...base,
      status: 'built',
      drvPath: built.drvPath,
      outPath,
      closureSize,
      ...(system ? { system } : {}),
      durationMs: context.now() - started,
    };
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    const wrongSystem = WRONG_SYSTEM.exec(error.nixMessage);
    if (wrongSystem) {
      return {
        ...base,
        status: 'eval-only',
        system: wrongSystem[1],
        error: `this runner (${wrongSystem[2]}) cannot build ${wrongSystem[1]}: evaluated only`,
        durationMs: context.now() - started,
      };
    }
    return { ...base, error: error.nixMessage, durationMs: context.now() - started };
  }
}

/**
 * Pushes what built: to `push-to` with nix copy, then with `push-command`. A failed push leaves the
 * host built; it is reported apart, as the cache not having it.
 */
async function pushBuilt(
  results: HostBuild[],
  settings: BuildSettings,
  context: PushContext,
  pushVariables: Readonly<Record<string, string>>,
): Promise<PushFailure[]> {
  const built = results.filter((result) => result.status === 'built' && result.outPath);
  const paths = built.map((result) => result.outPath as string);
  if (paths.length === 0) return [];
  const failures: PushFailure[] = [];
  const pushTo = settings['push-to'];
  if (pushTo) {
    const failure = await pushToStore(paths, pushTo, settings['signing-key'], context);
    if (failure) failures.push(failure);
    else for (const result of built) result.pushedTo = pushTo;
  }
  const command = settings['push-command'];
  if (command) {
    const failure = await pushWithCommand(paths, command, pushVariables, context);
    if (failure) failures.push(failure);
    else for (const result of built) result.pushedWith = command.join(' ');
  }
  return failures;
}

/** The hosts that failed because Nix could not fetch an input say which input, and why, instead. */
async function explainUnfetched(
  results: HostBuild[],
  diagnosis: InputFetchDiagnosis,
  logger: Logger,
): Promise<void> {
  const unfetched = results.filter(
    (result) => result.error !== undefined && looksLikeFetchFailure(result.error),
  );
  if (unfetched.length === 0) return;
  const explained = await explainFetchFailure(
    unfetched.map((result) => result.error).join('\n'),
    diagnosis,
    logger,
  );
  if (!explained) return;
  for (const result of unfetched) result.error = explained.message;
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../core/action.js';
import type { CleanupRegistry } from '../core/cleanup.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { findProgram } from '../core/programs.js';
import { headCommit } from '../core/revision-checkout.js';
import { flakeDirOf } from '../core/workspace.js';
import { accessGiven } from '../nix/access-inputs.js';
import type { NixCli } from '../nix/cli.js';
import { explainingFetchFailures } from '../nix/input-fetch.js';
import type { EngineContext, EngineName } from './engine.js';
import { openEngine } from './engines.js';
import type { DeploymentRecorder } from './github-deployments.js';
import { healthCheckFor } from './health-checks.js';
import { fetchHttpProbe, type HttpProbe } from './health-probe.js';
import { type DeploySettings, sshSettingsOf } from './inputs.js';
import { describePlan, type RolloutPlan } from './plan.js';
import { planForNodes } from './plan-deploy.js';
import { executeRollout, type NodeResult } from './rollout.js';
import { checkSshSettings, prepareSshAccess } from './ssh.js';

export type { DeploySettings } from './inputs.js';

/** Events that run code from a pull request, which must not reach the fleet unreviewed. */
export const PULL_REQUEST_EVENTS = [
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
];

/** What a deploy needs from its surroundings; tests pass real processes and fakes of the rest. */
export interface DeployEnvironment {
  context: Pick<RunContext, 'workspace' | 'runnerTemp' | 'eventName'>;
  logger: Logger;
  runner: ProcessRunner;
  nix: NixCli;
  cleanup: CleanupRegistry;
  /** Aborted on cancellation: no node starts after it. */
  signal: AbortSignal;
  deployments?: DeploymentRecorder;
  http?: HttpProbe;
  now?: () => number;
  /** Added to activation-timeout and confirm-timeout before a run counts as hung (default 30 s). */
  activationMarginMs?: number;
  /** How long a node's copy may make no progress before it is killed (default COPY_STALL_MS). */
  copyStallMs?: number;
  /** Pause between health-check attempts (default 5 s). */
  healthRetryDelayMs?: number;
  /** The PATH `deploy-command` is found on; when given, a missing command is refused before anything starts. */
  searchPath?: string;
  /** The workflow run deploying, named in each node's deploy record. */
  runUrl?: string;
}

export interface DeployOutcome {
  plan: RolloutPlan;
  results: NodeResult[];
  startedAt: number;
  finishedAt: number;
  stoppedBecause?: string;
  cancelled: boolean;
  dryActivate: boolean;
  /** The engine that activated the nodes. */
  engine?: EngineName;
  /** The JSON report written under RUNNER_TEMP. */
  reportFile: string;
}

/** A program given by name must be on PATH; one given by path is left to fail when it runs. */
function checkDeployCommand(command: readonly string[], searchPath: string | undefined): void {
  const program = command[0];
  if (program === undefined || searchPath === undefined || program.includes('/')) return;
  if (findProgram(program, searchPath) !== undefined) return;
  throw new UserError(
    `Input 'deploy-command' runs '${program}', which is not on PATH: install deploy-rs on the runner, ` +
      "or run it from the flake's inputs, e.g. 'nix run .#deploy-rs --'",
  );
}

/**
 * Plans and runs a rollout: deploy-rs over the flake's `deploy.nodes`, one process per node, or the
 * switch engine over its configurations.
 */
export async function deployFleet(settings: DeploySettings, env: DeployEnvironment): Promise<DeployOutcome> {
  const { logger } = env;
  const now = env.now ?? Date.now;
  refuseUnsafeEvent(settings, env.context.eventName);
  const ssh = sshSettingsOf(settings);
  checkSshSettings(ssh, logger);
  if (settings.engine === 'deploy-rs') checkDeployCommand(settings['deploy-command'], env.searchPath);

  const flakeDir = flakeDirOf(env.context.workspace, settings.path);
  // Nix evaluates (and deploy-rs's inputs are fetched) before any node is reached: an input it
  // cannot fetch fails the run there, in one error line naming each such input and why.
  const fetchDiagnosis = { runner: env.runner, flakeDir, ...accessGiven(settings), signal: env.signal };
  const engine = await explainingFetchFailures(
    openEngine(settings, env.nix, flakeDir, logger),
    fetchDiagnosis,
  );
  if (engine.name === 'deploy-rs') checkDeployCommand(settings['deploy-command'], env.searchPath);
  const plan = planForNodes(settings, engine.nodes);
  for (const line of describePlan(plan)) logger.info(line);

  const commit = await headCommit(env.runner, flakeDir);
  const access = await prepareSshAccess(ssh, env.context.runnerTemp, env.cleanup, logger);
  let deployments = env.deployments;
  if (deployments && settings['dry-activate']) {
    logger.info('dry-activate changes nothing on the nodes: no GitHub deployments are recorded');
    deployments = undefined;
  }
  const rolloutStopped = new AbortController();
  const context: EngineContext = {
    runner: env.runner,
    nix: env.nix,
    logger,
    flakeDir,
    access,
    healthCheck: (node) => healthCheckFor(settings['health-checks'], node.name),
    health: {
      runner: env.runner,
      http: env.http ?? fetchHttpProbe,
      retryDelayMs: env.healthRetryDelayMs ?? 5_000,
      sleep: (ms) => sleep(ms),
    },
    marginMs: env.activationMarginMs ?? 30_000,
    ...(env.copyStallMs === undefined ? {} : { copyStallMs: env.copyStallMs }),
    origin: {
      ...(commit === undefined ? {} : { commit }),
      ...(env.runUrl === undefined ? {} : { runUrl: env.runUrl }),
      now,
    },
    ...(deployments ? { deployments } : {}),
    background: (work) => recordings.push(work),
    now,
    signal: AbortSignal.any([env.signal, rolloutStopped.signal]),
  };
  const deployOne = await explainingFetchFailures(
    engine.deployer(
      context,
      plan.waves.flatMap((wave) => wave.nodes),
    ),
    fetchDiagnosis,
  );

  const recordings: Promise<unknown>[] = [];
  const startedAt = now();
  const outcome = await executeRollout(plan, deployOne, env.signal, rolloutStopped).finally(() =>
    engine.finish?.(),
  );
  const finishedAt = now();
  if (recordings.length > 0) {
    logger.info('Waiting for GitHub to record the deployment statuses');
    await Promise.allSettled(recordings);
  }
  if (outcome.stoppedBecause) logger.info(`Rollout stopped: ${outcome.stoppedBecause}`);

  const reportFile = join(env.context.runnerTemp, `flakeflow-deploy-report-${startedAt}.json`);
  const result: DeployOutcome = {
    plan,
    results: outcome.results,
    startedAt,
    finishedAt,
    cancelled: outcome.cancelled,
    dryActivate: settings['dry-activate'],
    engine: engine.name,
    reportFile,
    ...(outcome.stoppedBecause === undefined ? {} : { stoppedBecause: outcome.stoppedBecause }),
  };
  await writeFile(reportFile, `${JSON.stringify(reportJson(result), null, 2)}\n`);
  return result;
}

function refuseUnsafeEvent(settings: DeploySettings, eventName: string): void {
  if (!PULL_REQUEST_EVENTS.includes(eventName) || settings['allow-pull-request']) return;
  throw new UserError(
    `Refusing to deploy from a ${eventName} event, which runs code not yet reviewed: deploy on push or ` +
      "workflow_dispatch, or set 'allow-pull-request: true' if this is really wanted",
  );
}

/** The report file: the `result` output with the plan and timing around it. */
export function reportJson(outcome: DeployOutcome) {
  return {
    strategy: outcome.plan.strategy,
    parallel: outcome.plan.parallel,
    onFailure: outcome.plan.onFailure,
    dryActivate: outcome.dryActivate,
    engine: outcome.engine ?? null,
    startedAt: new Date(outcome.startedAt).toISOString(),
    finishedAt: new Date(outcome.finishedAt).toISOString(),
    durationMs: outcome.finishedAt - outcome.startedAt,
    cancelled: outcome.cancelled,
    stoppedBecause: outcome.stoppedBecause ?? null,
    waves: outcome.plan.waves.map((wave) => wave.nodes.map((node) => node.name)),
    nodes: outcome.results,
  };
}

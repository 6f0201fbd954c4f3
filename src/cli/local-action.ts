import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionDefinition, ActionEnvironment, ActionResult } from '../core/action.js';
import { removeRegisteredPaths } from '../core/cleanup.js';
import { stringifyError } from '../core/errors.js';
import { GITHUB_TOKEN_DEFAULT, type InputSchema, parseInputs, type SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { localRunContext, MemoryState } from './context.js';

/** Input values as the runner would pass them: the raw strings, before the schema parses them. */
export type InputReader = (name: string) => string | undefined;

/**
 * An empty token, or the `${{ github.token }}` default the runner would expand, means "no token"
 * locally: then GITHUB_TOKEN or GH_TOKEN (what `gh auth token` prints) stands in.
 */
export function localTokenReader(read: InputReader, env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => {
    const value = read(name);
    if (name !== 'token') return value;
    const given = value?.trim();
    if (given && given !== GITHUB_TOKEN_DEFAULT) return value;
    return env.GITHUB_TOKEN || env.GH_TOKEN || undefined;
  };
}

/** True when the token setting is still the runner's default, i.e. no token was found. */
export function lacksToken(settings: { token?: unknown }): boolean {
  return (
    typeof settings.token !== 'string' || settings.token === GITHUB_TOKEN_DEFAULT || settings.token === ''
  );
}

/** How a command runs: the action's own `run`, or a local variant of it (deploy's plan). */
export type LocalRun<S extends InputSchema> = (
  settings: SettingsOf<S>,
  environment: ActionEnvironment,
) => Promise<ActionResult>;

export interface LocalActionOptions<S extends InputSchema> {
  definition: ActionDefinition<S>;
  read: InputReader;
  /** The checkout: actions resolve `path` against it. */
  workspace: string;
  logger: Logger & { mask(secret: string): void };
  /** For reading the run context from git. */
  runner: ProcessRunner;
  signal: AbortSignal;
  /**
   * Checks on the settings before anything runs, e.g. that a token is there when GitHub is needed:
   * the last moment to refuse the run with nothing said before the error.
   */
  check?: (settings: SettingsOf<S>) => void;
  run?: LocalRun<S>;
  /** Leave RUNNER_TEMP in place (its path is returned) instead of removing it. */
  keepTemp?: boolean;
}

export interface LocalActionOutcome<S extends InputSchema> {
  settings: SettingsOf<S>;
  result: ActionResult;
  durationMs: number;
  /** RUNNER_TEMP of the run: removed by now unless `keepTemp` was set. */
  runnerTemp: string;
}

/**
 * Runs one action as the runner would, on this machine: inputs → settings (the same zod schema) →
 * run → result, with RUNNER_TEMP a fresh directory and the post step's clean-up run at the end.
 */
export async function runActionLocally<S extends InputSchema>(
  options: LocalActionOptions<S>,
): Promise<LocalActionOutcome<S>> {
  const { definition, logger } = options;
  const settings = parseInputs(definition.inputs, options.read, (value) => logger.mask(value));
  options.check?.(settings);
  const runnerTemp = await mkdtemp(join(tmpdir(), 'flakeflow-cli-'));
  const state = new MemoryState();
  const started = Date.now();
  try {
    const context = await localRunContext({
      workspace: options.workspace,
      runnerTemp,
      runner: options.runner,
    });
    const environment: ActionEnvironment = { context, logger, state, signal: options.signal };
    const run = options.run ?? ((given, env) => definition.run(given, env));
    const result = await run(settings, environment);
    return {
      settings,
      result,
      durationMs: Date.now() - started,
      runnerTemp,
    };
  } finally {
    try {
      await removeRegisteredPaths(state, logger);
    } catch (error) {
      logger.warning(`Clean-up failed: ${stringifyError(error)}`);
    }
    if (!options.keepTemp) await rm(runnerTemp, { recursive: true, force: true });
  }
}

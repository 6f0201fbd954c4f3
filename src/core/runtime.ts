import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { type ActionDefinition, type ActionEnvironment, DEFAULT_API_URL, type RunContext } from './action.js';
import { annotationCommand } from './annotations.js';
import { oneLine, stringifyError, UserError } from './errors.js';
import { ALLOW_UNTRUSTED_INPUT, refuseForks, refuseUntrustedOnSelfHosted } from './forks.js';
import type { InputSchema } from './inputs.js';
import { parseInputs } from './inputs.js';
import type { Logger } from './logger.js';
import { RunnerLogger, runnerState } from './runner-logger.js';
import { checkPathInputs } from './workspace.js';

/** The runner's environment variable for an input: upper-cased, spaces to `_`, hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function readRunnerInput(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[inputVariable(name)];
}

function readEvent(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    runnerTemp: env.RUNNER_TEMP || env.TMPDIR || '/tmp',
    eventName: env.GITHUB_EVENT_NAME || '',
    event: readEvent(env.GITHUB_EVENT_PATH),
    repository: env.GITHUB_REPOSITORY || undefined,
    sha: env.GITHUB_SHA || undefined,
    ref: env.GITHUB_REF || undefined,
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    apiUrl: env.GITHUB_API_URL || DEFAULT_API_URL,
    graphqlUrl: env.GITHUB_GRAPHQL_URL || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    actor: env.GITHUB_ACTOR || undefined,
    runnerEnvironment: env.RUNNER_ENVIRONMENT || undefined,
  };
}

/** Aborts when the runner cancels the job; the runner sends SIGINT, then SIGTERM. */
function cancellationSignal(logger: Logger): AbortSignal {
  const controller = new AbortController();
  const cancel = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    logger.warning(`Received ${signal}: stopping what has not started yet, then reporting`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  process.once('SIGINT', () => cancel('SIGINT'));
  process.once('SIGTERM', () => cancel('SIGTERM'));
  return controller.signal;
}

/** Fails the step with one line; a bug also leaves its stack in the debug log. */
export function failStep(error: unknown, logger: RunnerLogger = new RunnerLogger()): void {
  if (!(error instanceof UserError) && error instanceof Error && error.stack) logger.debug(error.stack);
  const message = logger.secrets.redact(oneLine(stringifyError(error))) || 'failed without a message';
  core.setFailed(error instanceof UserError ? message : `Unexpected error: ${message}`);
}

/**
 * Runs one action as the runner starts it: inputs → settings → capability → outputs, job summary
 * and annotations. Never throws; a failure sets exit code 1 with a single `::error::` line.
 */
export async function runAction<S extends InputSchema>(
  definition: ActionDefinition<S>,
  read: (name: string) => string | undefined = (name) => readRunnerInput(name),
): Promise<void> {
  const logger = new RunnerLogger();
  try {
    const settings = parseInputs(definition.inputs, read, (value) => logger.mask(value));
    const context = readRunContext();
    checkPathInputs(settings, definition.pathInputs ?? [], context.workspace);
    if (definition.refusesForks) refuseForks(definition.name, context.event);
    if (definition.keepsForksOffSelfHosted) {
      const allowed = (settings as Record<string, unknown>)[ALLOW_UNTRUSTED_INPUT] === true;
      refuseUntrustedOnSelfHosted(definition.name, context, allowed, (message) => logger.warning(message));
    }
    const environment: ActionEnvironment = {
      context,
      logger,
      state: runnerState,
      signal: cancellationSignal(logger),
    };
    const result = await definition.run(settings, environment);
    for (const name of definition.outputs) {
      const value = result.outputs[name];
      if (value !== undefined) core.setOutput(name, value);
    }
    for (const annotation of result.annotations ?? []) {
      process.stdout.write(
        `${annotationCommand({ ...annotation, message: logger.secrets.redact(annotation.message) })}\n`,
      );
    }
    if (result.summary && process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(logger.secrets.redact(result.summary), true).write();
    }
    if (result.failure) core.setFailed(oneLine(logger.secrets.redact(result.failure)));
  } catch (error) {
    failStep(error, logger);
  }
}

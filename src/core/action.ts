import type { Annotation } from './annotations.js';
import type { InputSchema, SettingsOf } from './inputs.js';
import type { Logger } from './logger.js';

export const DEFAULT_API_URL = 'https://api.github.com';

/** What the runner tells an action about the run, read once from its environment by the entry. */
export interface RunContext {
  workspace: string;
  runnerTemp: string;
  eventName: string;
  /** The parsed `GITHUB_EVENT_PATH` payload, or `{}` when there is none. */
  event: Record<string, unknown>;
  repository?: string;
  sha?: string;
  ref?: string;
  serverUrl: string;
  apiUrl: string;
  graphqlUrl?: string;
  runId?: string;
  actor?: string;
  /** `self-hosted` or `github-hosted`, as the runner says (RUNNER_ENVIRONMENT). */
  runnerEnvironment?: string;
}

/** The page of the workflow run, when the action runs in one. */
export function runUrlOf(
  context: Pick<RunContext, 'serverUrl' | 'repository' | 'runId'>,
): string | undefined {
  if (!context.runId || !context.repository) return undefined;
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`;
}

/** Saves values for the action's `post` step. */
export interface StateStore {
  save(name: string, value: string): void;
  read(name: string): string | undefined;
}

export interface ActionEnvironment {
  context: RunContext;
  logger: Logger;
  state: StateStore;
  /** Aborted when the runner cancels the job (SIGINT/SIGTERM). */
  signal: AbortSignal;
}

export interface ActionResult {
  outputs: Record<string, string>;
  /** Markdown for the job summary. */
  summary?: string;
  annotations?: Annotation[];
  /** Set when the action ran but must fail the step (e.g. the gate found errors). */
  failure?: string;
}

/** One action: its input schema and how it turns settings into a result. */
export interface ActionDefinition<S extends InputSchema = InputSchema> {
  name: string;
  inputs: S;
  /** Output names `action.yml` declares, in order. */
  outputs: readonly string[];
  /** Inputs naming a file or directory: on the runner, a relative one leading out of the checkout is refused. */
  pathInputs?: readonly (keyof SettingsOf<S> & string)[];
  /** Set when the action reaches the fleet with its secrets: on the runner, it never runs for a fork. */
  refusesForks?: boolean;
  /**
   * Set when the action runs the flake's code: on a self-hosted runner it refuses a fork unless its
   * `allow-untrusted-on-self-hosted` input is true.
   */
  keepsForksOffSelfHosted?: boolean;
  run(settings: SettingsOf<S>, environment: ActionEnvironment): Promise<ActionResult>;
}

export function defineAction<S extends InputSchema>(definition: ActionDefinition<S>): ActionDefinition<S> {
  return definition;
}

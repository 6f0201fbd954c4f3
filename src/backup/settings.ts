import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../core/errors.js';
import type { SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { inputPath } from '../core/workspace.js';
import type { WithoutNixAccess } from '../nix/access-inputs.js';
import type { NixCli } from '../nix/cli.js';
import type { ReasonContext } from '../nix/input-fetch.js';
import { type ResticRepository, repositoriesShape } from './config.js';
import { flakeHostPlans } from './flake-host.js';
import type { backupVerifyInputs } from './inputs.js';
import { planRepository, type RepositoryPlan } from './plan.js';
import { applyServices } from './services.js';

/** The settings the verification reads; the Nix access inputs reach Nix through the runner instead. */
export type BackupVerifyInputs = WithoutNixAccess<SettingsOf<typeof backupVerifyInputs>>;

export interface PlanSources {
  workspace: string;
  /** Evaluates the flake for `flake-host`. */
  nix: NixCli;
  /** What `nix` runs on, and the Nix access inputs given, for naming an input Nix cannot fetch. */
  runner: ProcessRunner;
  nixAccess: ReasonContext;
  logger: Logger;
  signal?: AbortSignal;
}

async function readInputFile(input: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : String(error);
    throw new UserError(`Input '${input}' names ${path}, which cannot be read: ${reason}`);
  }
}

/** The `config` file: `repositories: [...]` as in the inline input, or the list alone; YAML or JSON. */
export async function readConfigFile(workspace: string, path: string): Promise<ResticRepository[]> {
  const file = inputPath(workspace, 'config', path);
  let value: unknown;
  try {
    value = parseYaml(await readInputFile('config', file));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `Input 'config' file ${path} is neither YAML nor JSON: ${String(error).split('\n')[0]}`,
    );
  }
  const list =
    value && typeof value === 'object' && !Array.isArray(value)
      ? (value as { repositories?: unknown }).repositories
      : value;
  const checked = repositoriesShape.safeParse(list);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at repositories.${issue.path.join('.')}` : '';
    throw new UserError(
      `Input 'config' file ${path} must list repositories: ${issue?.message ?? 'invalid'}${where}`,
    );
  }
  return checked.data;
}

/** Reads a JSON file named by an input, as a UserError naming the input when it is not JSON. */
export async function readJsonInput(input: string, workspace: string, path: string): Promise<unknown> {
  const text = await readInputFile(input, inputPath(workspace, input, path));
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(
      `Input '${input}' file ${path} is not JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/**
 * Every repository to verify, with what each must hold: from `config`/`repositories`, then the backup
 * jobs of `services-json` or of the flake's `flake-host` merged in as group expectations.
 */
export async function planRepositories(
  inputs: BackupVerifyInputs,
  sources: PlanSources,
): Promise<RepositoryPlan[]> {
  const configured =
    inputs.config !== undefined
      ? await readConfigFile(sources.workspace, inputs.config)
      : (inputs.repositories ?? []);
  let plans = configured.map(planRepository);
  if (inputs['services-json'] !== undefined) {
    const services = await readJsonInput('services-json', sources.workspace, inputs['services-json']);
    plans = applyServices(plans, services, sources.logger);
  }
  if (inputs['flake-host'] !== undefined) {
    plans = await flakeHostPlans(plans, {
      host: inputs['flake-host'],
      flake: inputPath(sources.workspace, 'path', inputs.path ?? '.'),
      nix: sources.nix,
      runner: sources.runner,
      nixAccess: sources.nixAccess,
      logger: sources.logger,
      ...(sources.signal ? { signal: sources.signal } : {}),
    });
  }
  if (plans.length === 0) {
    throw new UserError(
      "Input 'repositories' names no repository to verify (nor do 'config', 'services-json' or 'flake-host')",
    );
  }
  return plans;
}

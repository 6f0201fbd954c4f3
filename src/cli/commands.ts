import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildAction } from '../actions/build.js';
import { hostsAction } from '../actions/hosts.js';
import { type ActionName, actions } from '../actions/index.js';
import { withNixRunner } from '../actions/nix-runner.js';
import type { ActionDefinition, ActionEnvironment, ActionResult } from '../core/action.js';
import { UserError } from '../core/errors.js';
import { type InputSchema, parseInputs, type SettingsOf } from '../core/inputs.js';
import { blocks } from '../core/markdown.js';
import type { DeploySettings } from '../deploy/deploy-fleet.js';
import type { RolloutPlan } from '../deploy/plan.js';
import { planDeploy, planSummary } from '../deploy/plan-deploy.js';
import type { HostEntry } from '../hosts/matrix.js';
import { accessGiven, nixAccessSettings } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { explainingFetchFailures } from '../nix/input-fetch.js';
import type { InputReader } from './local-action.js';
import { lacksToken } from './local-action.js';

/** A flag of the CLI itself, not an action input. */
export interface FlagSpec {
  name: string;
  boolean: boolean;
  describe: string;
}

/** What a command's local behaviour may read besides its settings. */
export interface CommandCall {
  flags: ReadonlyMap<string, string>;
  read: InputReader;
}

/** One action as a CLI command, with what differs when it runs on a laptop instead of a runner. */
export interface ActionCommand<S extends InputSchema = InputSchema> {
  name: ActionName;
  summary: string;
  definition: ActionDefinition<S>;
  flags: readonly FlagSpec[];
  /** Raw input values the command sets from its flags before the schema parses them. */
  adjust?(values: Map<string, string>, call: CommandCall): void;
  /** Refuses settings that cannot work here, before anything runs. */
  check?(settings: SettingsOf<S>, call: CommandCall): void;
  /** Replaces the action's `run` (deploy's plan, build's every-host default). */
  run?(settings: SettingsOf<S>, environment: ActionEnvironment, call: CommandCall): Promise<ActionResult>;
}

function command<S extends InputSchema>(spec: ActionCommand<S>): ActionCommand {
  return spec as unknown as ActionCommand;
}

const TOKEN_HINT = 'set GITHUB_TOKEN or GH_TOKEN (GH_TOKEN=$(gh auth token) with the GitHub CLI)';

function requireToken(settings: { token?: unknown }, why: string): void {
  if (lacksToken(settings)) throw new UserError(`${why} needs a GitHub token: ${TOKEN_HINT}`);
}

function flagOn(call: CommandCall, name: string): boolean {
  return call.flags.get(name) === 'true';
}

/** `flakeflow deploy` without --apply: the plan's nodes as the `result` output would list them. */
function planResult(plan: RolloutPlan, settings: DeploySettings): ActionResult {
  const nodes = plan.waves.flatMap((wave) =>
    wave.nodes.map((node) => ({
      node: node.name,
      wave: wave.number,
      hostname: node.hostname,
      tags: node.tags,
      status: 'planned',
      message: 'not deployed: run with --apply to deploy',
    })),
  );
  return {
    outputs: { result: JSON.stringify(nodes), deployed: '', failed: '', report: '' },
    summary: `${blocks(planSummary(plan, settings).trimEnd(), '_Nothing was deployed: run again with `--apply` to deploy this plan._')}\n`,
  };
}

/** Every evaluated host of the `hosts` output as one packed build: host, attr and drv-path lists. */
export function buildTargetsOf(
  entries: readonly HostEntry[],
): { host: string; attr: string; 'drv-path': string } | undefined {
  const buildable = entries.filter((entry) => entry.drvPath && entry.attr);
  if (buildable.length === 0) return undefined;
  return {
    host: buildable.map((entry) => entry.host).join(' '),
    attr: buildable.map((entry) => entry.attr).join(' '),
    'drv-path': buildable.map((entry) => entry.drvPath).join(' '),
  };
}

/** The build inputs `flakeflow build` hands on to the hosts evaluation when it builds every host. */
const EVERY_HOST_INPUTS = ['path', 'nix-options', 'eval-workers', 'eval-max-memory', 'netrc', 'cache-token'];

/**
 * `flakeflow build` without host, attr or drv-path builds every host the hosts action lists, as
 * the matrix would, one after the other on this machine.
 */
async function buildEveryHost(
  settings: SettingsOf<typeof buildAction.inputs>,
  environment: ActionEnvironment,
  call: CommandCall,
): Promise<ActionResult> {
  if (settings.host || settings.attr || settings['drv-path']) return buildAction.run(settings, environment);
  const hostsSettings = parseInputs(hostsAction.inputs, (name) =>
    EVERY_HOST_INPUTS.includes(name) ? call.read(name) : undefined,
  );
  const listed = await environment.logger.group('Evaluating the hosts of the flake', () =>
    hostsAction.run(hostsSettings, environment),
  );
  const targets = buildTargetsOf(JSON.parse(listed.outputs.hosts ?? '[]') as HostEntry[]);
  if (!targets) {
    return { ...listed, failure: listed.failure ?? 'No host of the flake evaluated: nothing to build' };
  }
  const built = await buildAction.run({ ...settings, ...targets }, environment);
  const failure = [listed.failure, built.failure].filter(Boolean).join('; ');
  return {
    ...built,
    annotations: [...(listed.annotations ?? []), ...(built.annotations ?? [])],
    ...(failure ? { failure } : {}),
  };
}

/** Reads `flake.lock` before a dry run and puts it back after, so a dry run changes nothing. */
async function keepingLock<T>(
  lockPath: string,
  keep: boolean,
  work: () => Promise<T>,
  environment: ActionEnvironment,
): Promise<T> {
  const before = keep ? await readFile(lockPath, 'utf8').catch(() => undefined) : undefined;
  try {
    return await work();
  } finally {
    if (before !== undefined && (await readFile(lockPath, 'utf8').catch(() => undefined)) !== before) {
      await writeFile(lockPath, before);
      environment.logger.info('flake.lock left as it was (dry run); --push opens the pull request instead');
    }
  }
}

export const ACTION_COMMANDS: readonly ActionCommand[] = [
  command({
    name: 'gate',
    summary: 'check formatting, deadnix and statix on the flake',
    definition: actions.gate,
    flags: [],
    check(settings) {
      if (settings['check-run'] || settings.suggestions) {
        requireToken(settings, settings['check-run'] ? "Input 'check-run'" : "Input 'suggestions'");
      }
    },
  }),
  command({
    name: 'hosts',
    summary: "list the fleet's hosts and the build matrix, evaluated in bounded evaluator processes",
    definition: actions.hosts,
    flags: [],
    run: (settings, environment) =>
      environment.logger.group('Evaluating the hosts of the flake', () =>
        actions.hosts.run(settings, environment),
      ),
  }),
  command({
    name: 'build',
    summary: 'build hosts (every host when no --host, --attr or --drv-path is given)',
    definition: actions.build,
    flags: [],
    run: buildEveryHost,
  }),
  command({
    name: 'report',
    summary: 'gather build result files into one report',
    definition: actions.report,
    flags: [],
  }),
  command({
    name: 'lock-update',
    summary: 'update flake.lock and show the pull request it would open (a dry run unless --push)',
    definition: actions['lock-update'],
    flags: [{ name: 'push', boolean: true, describe: 'push the update and open the pull request' }],
    adjust(values, call) {
      if (flagOn(call, 'push')) return;
      if (values.get('dry-run')?.trim() === 'false') {
        throw new UserError(
          'option --dry-run false would publish: use --push to push and open the pull request',
        );
      }
      values.set('dry-run', 'true');
    },
    check(settings) {
      if (!settings['dry-run']) requireToken(settings, 'flakeflow lock-update --push');
    },
    run: (settings, environment) =>
      keepingLock(
        join(resolve(environment.context.workspace, settings.path), 'flake.lock'),
        settings['dry-run'],
        () => actions['lock-update'].run(settings, environment),
        environment,
      ),
  }),
  command({
    name: 'deploy',
    summary: 'plan a deploy-rs rollout of deploy.nodes (and run it with --apply)',
    definition: actions.deploy,
    flags: [{ name: 'apply', boolean: true, describe: 'deploy the plan instead of only showing it' }],
    check(settings, call) {
      if (flagOn(call, 'apply') && settings['github-deployments']) {
        requireToken(settings, "Input 'github-deployments'");
      }
    },
    async run(settings, environment, call) {
      if (flagOn(call, 'apply')) return actions.deploy.run(settings, environment);
      const plan = await environment.logger.group('Reading deploy.nodes and planning the rollout', () =>
        withNixRunner(nixAccessSettings(settings), environment, (runner) =>
          explainingFetchFailures(
            planDeploy(settings, {
              workspace: environment.context.workspace,
              nix: new NixCli(runner),
              signal: environment.signal,
            }),
            {
              runner,
              flakeDir: resolve(environment.context.workspace, settings.path),
              ...accessGiven(settings),
              signal: environment.signal,
            },
          ),
        ),
      );
      return planResult(plan, settings);
    },
  }),
  command({
    name: 'backup-verify',
    summary: 'verify restic repositories: open, fresh, retained, intact, restorable',
    definition: actions['backup-verify'],
    flags: [],
    check(settings) {
      if (settings['alert-issue']) requireToken(settings, "Input 'alert-issue'");
    },
  }),
  command({
    name: 'status',
    summary: 'read what every node runs: current, behind, drifted, needs-reboot, unreachable or unevaluable',
    definition: actions.status,
    flags: [],
    check(settings) {
      if (settings['alert-issue']) requireToken(settings, "Input 'alert-issue'");
    },
  }),
];

export function findActionCommand(name: string): ActionCommand | undefined {
  return ACTION_COMMANDS.find((candidate) => candidate.name === name);
}

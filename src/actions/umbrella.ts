import type { ActionDefinition } from '../core/action.js';
import { UserError } from '../core/errors.js';
import { inputNames } from '../core/inputs.js';
import { failStep, inputVariable, readRunnerInput, runAction } from '../core/runtime.js';
import { editDistance } from '../core/suggest.js';
import { ACTION_NAMES, actions, isActionName } from './index.js';

/** The umbrella's own input, naming which action to run. */
export const COMMAND_INPUT = 'command';

/** Inputs any command may receive: `command` itself, and `token`, which the umbrella always defaults. */
const SHARED_INPUTS = new Set([COMMAND_INPUT, 'token']);

/** Every input the umbrella's `action.yml` declares: `command` and the union of all actions' inputs. */
export function umbrellaInputNames(): string[] {
  const names = new Set<string>([COMMAND_INPUT]);
  for (const name of ACTION_NAMES) for (const input of inputNames(actions[name].inputs)) names.add(input);
  return [...names];
}

/** Every output any action sets, in registry order. */
export function umbrellaOutputNames(): string[] {
  return [...new Set(ACTION_NAMES.flatMap((name) => actions[name].outputs))];
}

function notAnInput(name: string, command: string, accepted: readonly string[]): UserError {
  const [closest] = accepted
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance);
  const hint = closest ? `; did you mean '${closest.candidate}'?` : '';
  return new UserError(`Input '${name}' is not an input of command '${command}'${hint}`);
}

/**
 * Picks the action `command` names, refusing any non-empty input the chosen action does not read:
 * with one `action.yml` for everything, a typo or an input meant for another command would
 * otherwise be silently ignored. `given` names the runner's INPUT_* variables: the runner passes
 * inputs no `action.yml` declares too, with only a warning, so a typo shows there.
 */
export function chooseCommand(
  read: (name: string) => string | undefined,
  given: readonly string[] = [],
): ActionDefinition {
  const command = read(COMMAND_INPUT)?.trim() ?? '';
  if (!isActionName(command)) {
    throw new UserError(
      `Input '${COMMAND_INPUT}' must be one of ${ACTION_NAMES.join(', ')}, got '${command}'`,
    );
  }
  const definition: ActionDefinition = actions[command];
  const accepted = inputNames(definition.inputs);
  const declared = umbrellaInputNames();
  for (const name of declared) {
    if (SHARED_INPUTS.has(name) || accepted.includes(name)) continue;
    if (read(name)?.trim()) throw notAnInput(name, command, accepted);
  }
  const variables = new Set(declared.map(inputVariable));
  for (const variable of given) {
    if (variables.has(variable)) continue;
    const name = variable.slice('INPUT_'.length).toLowerCase();
    if (read(name)?.trim()) throw notAnInput(name, command, accepted);
  }
  return definition;
}

/** The umbrella entry: the chosen action runs exactly as its own `action.yml` would run it. */
export async function runUmbrella(
  read: (name: string) => string | undefined = (name) => readRunnerInput(name),
  given: readonly string[] = Object.keys(process.env).filter((name) => name.startsWith('INPUT_')),
): Promise<void> {
  let definition: ActionDefinition;
  try {
    definition = chooseCommand(read, given);
  } catch (error) {
    failStep(error);
    return;
  }
  await runAction(definition, read);
}

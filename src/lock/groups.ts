import { z } from 'zod';
import { UserError } from '../core/errors.js';

/** Group names end up in branch names (`<branch>-<group>`), so they are kept to safe characters. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `groups`: each group gets its own pull request updating the flake inputs it names (names or globs). */
export const updateGroupsShape = z
  .record(z.string(), z.array(z.string().min(1)).min(1, 'lists no flake inputs'))
  .superRefine((groups, ctx) => {
    for (const name of Object.keys(groups)) {
      if (!GROUP_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `group name '${name}' may use only letters, digits, ., _ and -`,
        });
      }
    }
  });

export type UpdateGroups = z.output<typeof updateGroupsShape>;

/** One update proposal: the inputs it moves and the branch its pull request comes from. */
export interface UpdatePlan {
  /** Undefined without `groups`: then there is one plan for the whole update. */
  group?: string;
  branch: string;
  /** Input paths handed to Nix; a group no input matches has none and updates nothing. */
  inputs: 'all' | string[];
}

/** `*` matches any run of characters but `/`, `?` one character; everything else is literal. */
export function globPattern(glob: string): RegExp {
  const source = glob
    .split('')
    .map((char) =>
      char === '*' ? '[^/]*' : char === '?' ? '[^/]' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

function matchesAny(input: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globPattern(glob).test(input));
}

export interface PlanOptions {
  /** The flake's direct inputs, from flake.lock. */
  directInputs: readonly string[];
  /** The `inputs` setting: names (or `a/b` paths) to update; empty or undefined means all. */
  inputs?: readonly string[];
  groups?: UpdateGroups;
  branch: string;
  /** Whether an `a/b` input path exists in the lock, for `inputs` naming inputs of inputs. */
  hasInputPath?: (path: string) => boolean;
}

/**
 * Splits the update into one plan per group. An input belongs to the first group (in the order
 * `groups` lists them) with a name or glob matching it; inputs no group matches are not updated.
 */
export function planUpdates(options: PlanOptions): UpdatePlan[] {
  const { directInputs, groups, branch } = options;
  const requested = options.inputs ?? [];
  for (const input of requested) {
    const known = input.includes('/')
      ? (options.hasInputPath?.(input) ?? false)
      : directInputs.includes(input);
    if (!known) {
      throw new UserError(
        `Input 'inputs' names '${input}', which is not an input of this flake (its inputs: ${directInputs.join(', ') || 'none'})`,
      );
    }
  }
  if (!groups || Object.keys(groups).length === 0) {
    return [{ branch, inputs: requested.length > 0 ? [...requested] : 'all' }];
  }
  const candidates = requested.length > 0 ? requested : directInputs;
  const claimed = new Set<string>();
  const plans: UpdatePlan[] = [];
  for (const [group, globs] of Object.entries(groups)) {
    const inputs = candidates.filter((input) => !claimed.has(input) && matchesAny(input, globs));
    for (const input of inputs) claimed.add(input);
    plans.push({ group, branch: `${branch}-${group}`, inputs });
  }
  return plans;
}

import type { Logger } from '../core/logger.js';

/**
 * The values of the step's variables an input names (`push-env`), masked, for the one child that
 * gets them. A name the step does not set is said once, not an error: the push then fails on its own
 * terms, in its own words.
 */
export function stepVariables(
  names: readonly string[],
  input: string,
  logger: Pick<Logger, 'mask' | 'warning'>,
  step: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const name of names) {
    const value = step[name];
    if (value === undefined) {
      logger.warning(`Input '${input}' names ${name}, which this step's environment does not set`);
      continue;
    }
    if (value !== '') logger.mask(value);
    variables[name] = value;
  }
  return variables;
}

import type { Logger } from '../core/logger.js';
import type { NixAccessSettings } from '../nix/access.js';
import {
  type CacheAccessInputSettings,
  cacheAccessSettings,
  nixConfigSubstituters,
} from '../nix/cache-access.js';

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

/**
 * The caches' netrc for an action's Nix: the `netrc` and `cache-token` inputs, the token for `urls`
 * (the caches the action names) and the substituters the step's NIX_CONFIG names. NIX_CONFIG
 * outranks every nix.conf, so a `netrc-file` there would hide this netrc: that is said, once.
 */
export function stepCacheAccess(
  settings: CacheAccessInputSettings,
  logger: Pick<Logger, 'warning'>,
  urls: readonly string[] = [],
  step: Readonly<Record<string, string | undefined>> = process.env,
): Pick<NixAccessSettings, 'netrc'> {
  const access = cacheAccessSettings(settings, [...urls, ...nixConfigSubstituters(step.NIX_CONFIG)]);
  if (access.netrc !== undefined && /^\s*netrc-file\s*=/m.test(step.NIX_CONFIG ?? '')) {
    logger.warning(
      "NIX_CONFIG sets netrc-file, which outranks the netrc of inputs 'netrc' and 'cache-token': remove it from NIX_CONFIG",
    );
  }
  return access;
}

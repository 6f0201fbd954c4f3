import { field, secret } from '../core/inputs.js';
import type { NixAccessSettings } from './access.js';
import { netrcProblem } from './netrc.js';

/**
 * The inputs every action whose Nix talks to binary caches takes, spread into its schema: a whole
 * netrc, and the reusable workflows' single `cache-token` for the HTTP(S) caches the action knows.
 */
export const cacheAccessInputs = {
  netrc: field({ secret: true }, (raw, fail) => {
    const problem = netrcProblem(raw);
    return problem === undefined
      ? raw
      : fail(`a netrc ("machine HOST login USER password PASS"), with ${problem}`);
  }),
  'cache-token': secret(),
};

export interface CacheAccessInputSettings {
  netrc?: string | undefined;
  'cache-token'?: string | undefined;
}

/** The host of an http(s):// store URL (`cache.example.org` of `https://cache.example.org:8443/x?priority=4`). */
function httpHost(url: string): string | undefined {
  const match = /^https?:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^:/?#]+)/.exec(url.trim());
  return match?.[1];
}

/**
 * `cache-token` as netrc lines: `machine HOST password TOKEN` for each HTTP(S) host among `urls`, as
 * Attic and token-checking proxies expect it. Other stores (s3://, ssh://) take no netrc.
 */
export function tokenNetrc(token: string, urls: readonly string[]): string {
  const hosts = [...new Set(urls.map(httpHost).filter((host) => host !== undefined))];
  return hosts.map((host) => `machine ${host} password ${token.trim()}\n`).join('');
}

/**
 * The substituters the step's NIX_CONFIG names (the reusable workflows put `cache-urls` there): a
 * cache the token is for even when the action itself does not name it.
 */
export function nixConfigSubstituters(nixConfig: string | undefined): string[] {
  return (nixConfig ?? '')
    .split('\n')
    .map((line) => /^\s*(?:extra-)?substituters\s*=(.*)$/.exec(line)?.[1] ?? '')
    .flatMap((value) => value.split(/\s+/).filter((url) => url !== ''));
}

/**
 * The netrc an action's Nix gets: the `netrc` input first (curl takes the first entry for a host, so
 * it wins), then `cache-token`'s lines for `urls`, the caches this action talks to.
 */
export function cacheAccessSettings(
  settings: CacheAccessInputSettings,
  urls: readonly string[],
): Pick<NixAccessSettings, 'netrc'> {
  const token = settings['cache-token']?.trim();
  const netrc = [
    settings.netrc?.trim() ? `${settings.netrc.trim()}\n` : '',
    token ? tokenNetrc(token, urls) : '',
  ].join('');
  return netrc === '' ? {} : { netrc };
}

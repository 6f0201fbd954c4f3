import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapConcurrently } from '../core/concurrency.js';
import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { NixStore } from '../nix/store.js';
import { storePathHash } from './host.js';

/** Asks a binary cache over HTTP(S) whether it has a narinfo: the status of a HEAD request. */
export interface NarinfoProbe {
  head(url: string, signal?: AbortSignal): Promise<number>;
}

/** The runtime's `fetch`, with a timeout. */
export function fetchNarinfoProbe(timeoutMs = 15_000): NarinfoProbe {
  return {
    async head(url, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const response = await fetch(url, {
        method: 'HEAD',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return response.status;
    },
  };
}

export interface BinaryCacheLookupOptions {
  probe: NarinfoProbe;
  runner: ProcessRunner;
  logger: Logger;
  nixOptions?: readonly string[];
  signal?: AbortSignal;
}

const ABSENT = new Set([404, 410]);
/** The cache wants credentials we do not have, but Nix may (netrc, S3 keys): ask Nix instead. */
const ASK_NIX = new Set([401, 403]);

/** The cache URL without Nix's store parameters (`?priority=40`) and trailing slashes. */
function cacheBase(url: string): string {
  return url.replace(/\?.*$/, '').replace(/\/+$/, '');
}

/**
 * Which output paths are already in one of `caches`: `<cache>/<hash>.narinfo` over HTTP(S) or on
 * disk for `file://`, and `nix path-info --store` for every other store (s3://, ssh://, …).
 * Returns each cached path with the first cache that has it.
 */
export async function findCachedPaths(
  caches: readonly string[],
  outPaths: readonly string[],
  options: BinaryCacheLookupOptions,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const cache of caches) {
    const missing = outPaths.filter((path) => !found.has(path));
    if (missing.length === 0) break;
    const present = await pathsIn(cache, missing, options);
    for (const path of present) found.set(path, cache);
  }
  return found;
}

async function pathsIn(
  cache: string,
  paths: readonly string[],
  options: BinaryCacheLookupOptions,
): Promise<string[]> {
  if (/^https?:\/\//.test(cache)) return httpPathsIn(cache, paths, options);
  if (cache.startsWith('file://')) {
    const dir = fileURLToPath(cacheBase(cache));
    const present = await mapConcurrently(paths, 32, async (path) => {
      const hash = storePathHash(path);
      if (!hash) return false;
      return access(join(dir, `${hash}.narinfo`)).then(
        () => true,
        () => false,
      );
    });
    return paths.filter((_, index) => present[index]);
  }
  return nixPathsIn(cache, paths, options);
}

async function httpPathsIn(
  cache: string,
  paths: readonly string[],
  options: BinaryCacheLookupOptions,
): Promise<string[]> {
  const base = cacheBase(cache);
  const refused: string[] = [];
  const present = await mapConcurrently(paths, 16, async (path) => {
    const hash = storePathHash(path);
    if (!hash) return false;
    let status: number;
    try {
      status = await options.probe.head(`${base}/${hash}.narinfo`, options.signal);
    } catch (error) {
      options.logger.warning(`Could not ask ${base} for ${path}: ${(error as Error).message}`);
      return false;
    }
    if (status >= 200 && status < 300) return true;
    if (ASK_NIX.has(status)) refused.push(path);
    else if (!ABSENT.has(status)) options.logger.warning(`${base} answered ${status} for ${hash}.narinfo`);
    return false;
  });
  const cached = paths.filter((_, index) => present[index]);
  if (refused.length > 0) cached.push(...(await nixPathsIn(cache, refused, options)));
  return cached;
}

async function nixPathsIn(
  cache: string,
  paths: readonly string[],
  options: BinaryCacheLookupOptions,
): Promise<string[]> {
  const store = new NixStore(options.runner, { nixOptions: options.nixOptions ?? [] });
  try {
    return await store.validPaths(paths, cache, { signal: options.signal });
  } catch (error) {
    options.logger.warning(
      `Could not ask ${cache} which outputs it has: ${stringifyError(error).split('\n').slice(0, 2).join(' ')}`,
    );
    return [];
  }
}

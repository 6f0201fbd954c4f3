import type { NixCli } from './cli.js';
import { NixError } from './errors.js';

/** The binary caches a flake asks for in its `nixConfig`, as Nix reads them (lists or space-separated). */
export interface FlakeCaches {
  substituters: string[];
  publicKeys: string[];
}

type NixConfigValue = string | string[] | undefined;

function valuesOf(value: NixConfigValue): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : value.split(/\s+/)).map((word) => word.trim()).filter(Boolean);
}

/**
 * Reads `nixConfig.(extra-)substituters` and `nixConfig.(extra-)trusted-public-keys` from the
 * flake.nix in `flakeDir`: the file is imported as the attribute set it is, without evaluating any
 * output or fetching any input. A flake without nixConfig, or one Nix cannot read, asks for none.
 */
export async function readFlakeCaches(
  nix: NixCli,
  flakeDir: string,
  signal?: AbortSignal,
): Promise<FlakeCaches> {
  const file = `${flakeDir.replace(/\/+$/, '')}/flake.nix`;
  let config: Record<string, NixConfigValue>;
  try {
    config = await nix.evalJson<Record<string, NixConfigValue>>(
      { expr: `(import (/. + ${JSON.stringify(file)})).nixConfig or { }` },
      { impure: true, ...(signal ? { signal } : {}) },
    );
  } catch (error) {
    if (error instanceof NixError) return { substituters: [], publicKeys: [] };
    throw error;
  }
  const unique = (values: string[]) => [...new Set(values)];
  return {
    substituters: unique([...valuesOf(config.substituters), ...valuesOf(config['extra-substituters'])]),
    publicKeys: unique([
      ...valuesOf(config['trusted-public-keys']),
      ...valuesOf(config['extra-trusted-public-keys']),
    ]),
  };
}

const CACHIX_URL = /^https:\/\/([a-z0-9][a-z0-9-]*)\.cachix\.org\/?$/;

/** `homelab` of `https://homelab.cachix.org`; undefined for any other cache. */
export function cachixCacheName(url: string): string | undefined {
  return CACHIX_URL.exec(url)?.[1];
}

/**
 * What the reusable workflow takes for a flake's caches: its first Cachix cache as `cachix-cache`
 * (cachix/cachix-action trusts that cache's key itself), every other one as `cache-urls`, with the
 * other keys as `cache-public-keys`. cache.nixos.org is left out: every Nix has it.
 */
export function workflowCacheInputs(caches: FlakeCaches): {
  cachixCache?: string;
  cacheUrls: string[];
  cachePublicKeys: string[];
} {
  const others = caches.substituters.filter((url) => !/^https:\/\/cache\.nixos\.org\/?$/.test(url));
  const cachixUrl = others.find((url) => cachixCacheName(url) !== undefined);
  const cachixCache = cachixUrl === undefined ? undefined : cachixCacheName(cachixUrl);
  const cachePublicKeys = caches.publicKeys.filter((key) => {
    const name = key.split(':')[0] ?? '';
    return name !== `${cachixCache}.cachix.org-1` && name !== 'cache.nixos.org-1';
  });
  return {
    ...(cachixCache ? { cachixCache } : {}),
    cacheUrls: others.filter((url) => url !== cachixUrl),
    cachePublicKeys,
  };
}

import { UserError } from '../core/errors.js';
import type { HostKind } from '../hosts/host.js';

/** One thing the build action builds: a host of the matrix, a flake attribute or a derivation. */
export interface BuildTarget {
  /** The name reported for it: the host, else the attribute, else the derivation. */
  name: string;
  host?: string;
  attr?: string;
  drvPath?: string;
}

function items(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter((item) => item.length > 0);
}

/**
 * `host`, `attr` and `drv-path` as the matrix gives them: one value each, or space-separated lists
 * of the same length for a packed entry.
 */
export function buildTargets(settings: { host?: string; attr?: string; 'drv-path'?: string }): BuildTarget[] {
  const hosts = items(settings.host);
  const attrs = items(settings.attr);
  const drvs = items(settings['drv-path']);
  const count = Math.max(hosts.length, attrs.length, drvs.length);
  if (count === 0) {
    throw new UserError("Input 'host' must name what to build (or give 'attr' or 'drv-path'), got nothing");
  }
  for (const [input, list] of [
    ['host', hosts],
    ['attr', attrs],
    ['drv-path', drvs],
  ] as const) {
    if (list.length > 0 && list.length !== count) {
      throw new UserError(
        `Input '${input}' must list ${count} values like the other inputs, got ${list.length}`,
      );
    }
  }
  for (const drv of drvs) {
    if (!/^\/nix\/store\/[0-9a-z]{32}-.+\.drv$/.test(drv)) {
      throw new UserError(
        `Input 'drv-path' must be store paths of derivations (/nix/store/….drv), got '${drv}'`,
      );
    }
  }
  return Array.from({ length: count }, (_, index) => {
    const host = hosts[index];
    const attr = attrs[index];
    const drvPath = drvs[index];
    return {
      name: host ?? attr ?? (drvPath as string),
      ...(host ? { host } : {}),
      ...(attr ? { attr } : {}),
      ...(drvPath ? { drvPath } : {}),
    };
  });
}

const KIND_OF_OUTPUT: Record<string, HostKind> = {
  nixosConfigurations: 'nixos',
  darwinConfigurations: 'darwin',
  homeConfigurations: 'home',
  checks: 'checks',
};

export function kindOfAttr(attrPath: readonly string[]): HostKind | undefined {
  return KIND_OF_OUTPUT[attrPath[0] ?? ''];
}

import type { HostKind } from '../nix/fleet-types.js';

export * from '../nix/fleet-types.js';

/** What became of a host in the `hosts` output (see HostEntry in matrix.ts). */
export const HOST_STATUSES = ['build', 'unchanged', 'cached', 'eval-only', 'skipped', 'failed'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export const KIND_TITLES: Record<HostKind, string> = {
  nixos: 'NixOS',
  darwin: 'nix-darwin',
  home: 'Home Manager',
  checks: 'check',
};

/** The store path's hash part, which names its narinfo in a binary cache. */
export function storePathHash(storePath: string): string | undefined {
  return /^\/nix\/store\/([0-9a-z]{32})-/.exec(storePath)?.[1];
}

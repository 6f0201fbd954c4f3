import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type HostKind = 'nixos' | 'darwin' | 'home-manager';

/** A host of a demo fleet as its flake exposes it. */
export interface FleetHost {
  /** The attribute name under the kind's output: `homeserver`, `alice@workstation`. */
  name: string;
  kind: HostKind;
  system: string;
  /** The attribute path of what `nix build` builds for this host. */
  buildAttrPath: readonly string[];
  /** The host's `deploy.nodes` entry, for NixOS hosts. */
  deploy?: { tags: readonly string[]; wave: number };
}

export const CONFIGURATIONS_OUTPUT: Record<HostKind, string> = {
  nixos: 'nixosConfigurations',
  darwin: 'darwinConfigurations',
  'home-manager': 'homeConfigurations',
};

export function buildAttrPath(kind: HostKind, name: string): string[] {
  const output = CONFIGURATIONS_OUTPUT[kind];
  if (kind === 'nixos') return [output, name, 'config', 'system', 'build', 'toplevel'];
  if (kind === 'darwin') return [output, name, 'system'];
  return [output, name, 'activationPackage'];
}

/** `nix/examples` of this checkout, found upwards from this module (src/demo, or a bundle in dist/). */
export function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'nix', 'examples');
    if (existsSync(join(candidate, 'homelab', 'flake.nix'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find nix/examples above the flakeflow module');
    dir = parent;
  }
}

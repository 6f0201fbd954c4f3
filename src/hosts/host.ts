import type { HOST_KINDS } from './inputs.js';

export type HostKind = (typeof HOST_KINDS)[number];

/** A host as the fleet names it: `nixos/pi`, `home/alice@workstation`, `checks/checks.x86_64-linux.fmt`. */
export interface HostRef {
  kind: HostKind;
  name: string;
}

/** A host that evaluated: what to build and where it runs. */
export interface EvaluatedHost extends HostRef {
  /** The attribute path of what is built, e.g. `['nixosConfigurations', 'pi', 'config', …]`. */
  attrPath: string[];
  /** The system the host runs on (its nixpkgs host platform). */
  system: string;
  /** The system its derivation is built on; differs from `system` when cross-compiled. */
  buildSystem: string;
  drvPath: string;
  outPath: string;
}

export interface FailedHost extends HostRef {
  /** Nix's own error text. */
  error: string;
}

export const KIND_TITLES: Record<HostKind, string> = {
  nixos: 'NixOS',
  darwin: 'nix-darwin',
  home: 'Home Manager',
  checks: 'check',
};

export function hostKey(host: HostRef): string {
  return `${host.kind}/${host.name}`;
}

/** `nixosConfigurations.pi.config.system.build.toplevel`, quoting names Nix needs quoted. */
export function attrPathText(attrPath: readonly string[]): string {
  return attrPath
    .map((name) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : JSON.stringify(name)))
    .join('.');
}

/** Parses `a."b.c".d` back into its names. */
export function parseAttrPath(text: string): string[] {
  const names: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|([^."]+)/g;
  for (const match of text.matchAll(pattern)) {
    names.push(match[1] !== undefined ? (JSON.parse(`"${match[1]}"`) as string) : (match[2] as string));
  }
  return names;
}

/** The store path's hash part, which names its narinfo in a binary cache. */
export function storePathHash(storePath: string): string | undefined {
  return /^\/nix\/store\/([0-9a-z]{32})-/.exec(storePath)?.[1];
}

/** What is built for a host, as nix/fleet-hosts.nix chooses it (nix-darwin's `system` where it exists). */
export function defaultAttrPath(host: HostRef): string[] {
  switch (host.kind) {
    case 'nixos':
      return ['nixosConfigurations', host.name, 'config', 'system', 'build', 'toplevel'];
    case 'darwin':
      return ['darwinConfigurations', host.name, 'system'];
    case 'home':
      return ['homeConfigurations', host.name, 'activationPackage'];
    case 'checks':
      return host.name.split('.');
  }
}

export const HOST_KIND_LIST: readonly HostKind[] = ['nixos', 'darwin', 'home', 'checks'];

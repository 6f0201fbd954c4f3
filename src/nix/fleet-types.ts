/** The outputs of a fleet flake that hold hosts: nixosConfigurations, darwinConfigurations, homeConfigurations, checks. */
export const FLEET_HOST_KINDS = ['nixos', 'darwin', 'home', 'checks'] as const;

export type HostKind = (typeof FLEET_HOST_KINDS)[number];

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

export function hostKey(host: HostRef): string {
  return `${host.kind}/${host.name}`;
}

/** The host a `hostKey` names: the kind is up to the first slash, the name may hold more. */
export function hostFromKey(key: string): HostRef {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash) as HostKind, name: key.slice(slash + 1) };
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

/** What is built for a host, as nix/fleet.nix chooses it (nix-darwin's `system` where it exists). */
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

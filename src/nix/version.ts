/** The Nix a command runs on, from the first line of `nix --version`. */
export interface NixVersion {
  major: number;
  minor: number;
  patch: number;
  /** The distribution named in the parentheses: `Nix`, `Determinate Nix 3.8.2`, `Lix, like Nix`. */
  flavor: string;
  text: string;
}

const VERSION_LINE = /^nix \(([^)]+)\) (\d+)\.(\d+)(?:\.(\d+))?/m;

export function parseNixVersion(output: string): NixVersion {
  const match = VERSION_LINE.exec(output.trim());
  if (!match) throw new Error(`cannot read a Nix version from \`nix --version\` output: ${output.trim()}`);
  const [text, flavor, major, minor, patch] = match;
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch ?? 0),
    flavor: flavor ?? 'Nix',
    text: text.trim(),
  };
}

export function isAtLeast(version: NixVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/**
 * Nix 2.19 made `nix flake update` take input names (and `--flake DIR`) and deprecated
 * `nix flake lock --update-input`. Lix forked from 2.18 and numbers its releases 2.90+, so its
 * version says nothing about this; it kept `--update-input`.
 */
export function updatesNamedInputs(version: NixVersion): boolean {
  return !version.flavor.startsWith('Lix') && isAtLeast(version, 2, 19);
}

// The Nix settings flakeflow's own Nix processes run with in the tests, the demo (`npm start`) and the
// benchmarks: flakes on, no sandbox, no substituters (nothing may download), the example fleet's extra
// platforms. They travel in NIX_CONFIG, appended to what the caller already had, so a machine's nix.conf
// and daemon are never touched.
import { readFileSync } from 'node:fs';

const BASE_SETTINGS = [
  'experimental-features = nix-command flakes',
  'sandbox = false',
  'substituters =',
  'extra-platforms = aarch64-linux x86_64-darwin aarch64-darwin',
  'warn-dirty = false',
  'flake-registry =',
];

/** Whether the machine has a group of this name (the one Nix as root builds with by default). */
export function groupExists(name, groupFile = '/etc/group') {
  try {
    return readFileSync(groupFile, 'utf8')
      .split('\n')
      .some((line) => line.split(':')[0] === name);
  } catch {
    return false;
  }
}

/**
 * The NIX_CONFIG lines for flakeflow's own Nix processes. Nix run as root builds as the users of
 * `build-users-group` (default `nixbld`); a single-user install from Debian's nix-bin without its
 * Recommends has no such group, so every build would fail: there, and only there, build as root.
 */
export function flakeflowNixSettings({
  uid = process.getuid?.() ?? -1,
  hasBuildGroup = groupExists('nixbld'),
} = {}) {
  const settings = [...BASE_SETTINGS];
  if (uid === 0 && !hasBuildGroup) settings.push('build-users-group =');
  return settings.join('\n');
}

/** NIX_CONFIG with flakeflow's settings after whatever the caller's environment already set. */
export function flakeflowNixConfig(existing = process.env.NIX_CONFIG) {
  return [existing, flakeflowNixSettings()].filter(Boolean).join('\n');
}

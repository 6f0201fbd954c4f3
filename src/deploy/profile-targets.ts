import type { NixCli } from '../nix/cli.js';
import { readFleetFacts } from '../nix/fleet.js';

export const DEFAULT_SYSTEM_PROFILE = '/nix/var/nix/profiles/system';
export const DEFAULT_CURRENT_SYSTEM = '/run/current-system';

/** Where one deploy-rs profile of a node is linked. */
export interface ProfileLink {
  profile: string;
  profilePath: string;
  /** Where the running system is linked, for the `system` profile; the profile itself otherwise. */
  currentSystem: string;
}

/** One deploy-rs profile of a node: the store path it would activate and the profile it sets. */
export interface ProfileTarget extends ProfileLink {
  path: string;
}

/** Where deploy-rs links `profile` of `user`, given its `profilePath` if the flake sets one. */
export function profileLink(profile: string, profilePath: string | null, user: string): ProfileLink {
  const where = profilePath ?? deployRsProfilePath(profile, user);
  return {
    profile,
    profilePath: where,
    currentSystem: where === DEFAULT_SYSTEM_PROFILE ? DEFAULT_CURRENT_SYSTEM : where,
  };
}

/**
 * The store paths `deploy.nodes.<node>.profiles.<p>.path` of the named nodes, from the fleet model in
 * one evaluation. This evaluates each node's system, which deploy-rs does anyway before it copies anything.
 */
export async function readProfileTargets(
  nix: NixCli,
  flakeDir: string,
  nodes: readonly string[],
): Promise<Map<string, ProfileTarget[]>> {
  const { deployProfiles } = await readFleetFacts(nix, flakeDir, { deployProfiles: { nodes } });
  const targets = new Map<string, ProfileTarget[]>();
  for (const [node, profiles] of Object.entries(deployProfiles ?? {})) {
    targets.set(
      node,
      Object.entries(profiles).map(([profile, { path, profilePath, user }]) => ({
        ...profileLink(profile, profilePath, user),
        path,
      })),
    );
  }
  return targets;
}

/** Where deploy-rs puts a profile without `profilePath` (its data.rs). */
export function deployRsProfilePath(profile: string, user: string): string {
  if (user !== 'root') return `/nix/var/nix/profiles/per-user/${user}/${profile}`;
  return profile === 'system' ? DEFAULT_SYSTEM_PROFILE : `/nix/var/nix/profiles/${profile}`;
}

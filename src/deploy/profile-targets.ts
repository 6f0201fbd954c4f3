import type { NixCli } from '../nix/cli.js';
import { readFleetFacts } from '../nix/fleet.js';
import { DEFAULT_CURRENT_SYSTEM, DEFAULT_SYSTEM_PROFILE } from './switch/switch-nodes.js';

/** One deploy-rs profile of a node: the store path it would activate and the profile it sets. */
export interface ProfileTarget {
  profile: string;
  path: string;
  profilePath: string;
  /** Where the running system is linked, for the `system` profile; the profile itself otherwise. */
  currentSystem: string;
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
      Object.entries(profiles).map(([profile, { path, profilePath, user }]) => {
        const defaultPath = deployRsProfilePath(profile, user);
        const where = profilePath ?? defaultPath;
        return {
          profile,
          path,
          profilePath: where,
          currentSystem: where === DEFAULT_SYSTEM_PROFILE ? DEFAULT_CURRENT_SYSTEM : where,
        };
      }),
    );
  }
  return targets;
}

/** Where deploy-rs puts a profile without `profilePath` (its data.rs). */
export function deployRsProfilePath(profile: string, user: string): string {
  if (user !== 'root') return `/nix/var/nix/profiles/per-user/${user}/${profile}`;
  return profile === 'system' ? DEFAULT_SYSTEM_PROFILE : `/nix/var/nix/profiles/${profile}`;
}

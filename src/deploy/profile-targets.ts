import { resolve } from 'node:path';
import { z } from 'zod';
import type { NixCli } from '../nix/cli.js';
import { DEFAULT_CURRENT_SYSTEM, DEFAULT_SYSTEM_PROFILE } from './switch/switch-nodes.js';

/** One deploy-rs profile of a node: the store path it would activate and the profile it sets. */
export interface ProfileTarget {
  profile: string;
  path: string;
  profilePath: string;
  /** Where the running system is linked, for the `system` profile; the profile itself otherwise. */
  currentSystem: string;
}

const picked = z.record(
  z.string(),
  z.record(z.string(), z.object({ path: z.string(), profilePath: z.string().nullable(), user: z.string() })),
);

/**
 * The store paths `deploy.nodes.<node>.profiles.<p>.path` of the named nodes, in one evaluation.
 * This evaluates each node's system, which deploy-rs does anyway before it copies anything.
 */
export async function readProfileTargets(
  nix: NixCli,
  flakeDir: string,
  nodes: readonly string[],
): Promise<Map<string, ProfileTarget[]>> {
  const names = `[ ${nodes.map((name) => JSON.stringify(name)).join(' ')} ]`;
  const value = await nix.evalJson(`${resolve(flakeDir)}#deploy`, {
    apply: `deploy: builtins.mapAttrs (name: node: builtins.mapAttrs (profileName: profile: {
      path = "\${profile.path}";
      profilePath = profile.profilePath or null;
      user = profile.user or node.user or deploy.user or "root";
    }) (node.profiles or { })) (builtins.intersectAttrs (builtins.listToAttrs (map (name: { inherit name; value = null; }) ${names})) deploy.nodes)`,
  });
  const targets = new Map<string, ProfileTarget[]>();
  for (const [node, profiles] of Object.entries(picked.parse(value))) {
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

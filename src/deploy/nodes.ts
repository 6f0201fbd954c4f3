import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { NixCli, NixRunOptions } from '../nix/cli.js';
import { readFleetFacts } from '../nix/fleet.js';
import { type ProfileLink, profileLink } from './profile-targets.js';

/** A node of the flake's `deploy.nodes`, with what flakeflow reads besides deploy-rs's own schema. */
export interface DeployNode {
  name: string;
  hostname: string;
  /** `tags = [ … ]` on the node: deploy-rs ignores it, flakeflow selects by it (`@tag`). */
  tags: string[];
  /** `wave = N` on the node: the order of `strategy: waves`. */
  wave?: number;
  /** The node's `sshUser`, or the deploy-level one. */
  sshUser?: string;
  /**
   * `sshOpts` of the profiles, the node and the deploy level, in the order deploy-rs concatenates them
   * (ssh keeps the first value of a repeated `-o`). A `--ssh-opts` flag replaces them all, so flakeflow
   * passes them again with its own.
   */
  sshOpts: string[];
  /** Where each of its profiles is linked (from `deploy.nodes`, read without evaluating a system). */
  profiles?: ProfileLink[];
}

const optionalString = z.string({ error: 'must be a string' }).nullable();
const stringList = z.array(z.string(), { error: 'must be a list of strings' });

const picked = z.object({
  sshUser: optionalString,
  sshOpts: stringList,
  nodes: z
    .record(
      z.string(),
      z.object({
        hostname: z
          .string({ error: 'must be a string: deploy-rs needs it to reach the node' })
          .min(1, 'must not be empty'),
        tags: z.array(z.string().regex(/^[^@,\s]+$/, 'must be a name without @, commas or spaces'), {
          error: 'must be a list of strings',
        }),
        wave: z.int({ error: 'must be a whole number' }).min(0, 'must be 0 or more').nullable(),
        sshUser: optionalString,
        sshOpts: stringList,
        profiles: z.record(z.string(), z.object({ profilePath: optionalString, user: z.string() })),
      }),
    )
    .nullable(),
});

/**
 * Reads `deploy.nodes` of the flake in `flakeDir` from the fleet model, in one evaluation that never
 * touches a profile's `path` (which would evaluate every host's whole system).
 */
export async function readDeployNodes(
  nix: NixCli,
  flakeDir: string,
  options: NixRunOptions = {},
): Promise<DeployNode[]> {
  const { deploy: value } = await readFleetFacts(nix, flakeDir, { deploy: true }, options);
  if (value === null || value === undefined) {
    throw new UserError(
      `The flake in ${flakeDir} has no 'deploy' output: define deploy.nodes for deploy-rs (see its README)`,
    );
  }
  const checked = picked.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = ['deploy', ...(issue?.path ?? []).map(String)].join('.');
    throw new UserError(`The flake's ${where} ${issue?.message ?? 'is malformed'}`);
  }
  const { nodes, sshUser, sshOpts } = checked.data;
  if (nodes === null || Object.keys(nodes).length === 0) {
    throw new UserError(`The flake in ${flakeDir} defines no deploy.nodes: there is nothing to deploy`);
  }
  return Object.entries(nodes).map(([name, node]) => ({
    name,
    hostname: node.hostname,
    tags: node.tags,
    ...(node.wave === null ? {} : { wave: node.wave }),
    ...((node.sshUser ?? sshUser) === null ? {} : { sshUser: (node.sshUser ?? sshUser) as string }),
    sshOpts: [...node.sshOpts, ...sshOpts],
    profiles: Object.entries(node.profiles).map(([profile, { profilePath, user }]) =>
      profileLink(profile, profilePath, user),
    ),
  }));
}

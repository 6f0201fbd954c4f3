import { z } from 'zod';
import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { succeeded } from '../core/process.js';
import { attrPathText } from '../nix/fleet-types.js';
import type { DeployNode } from './nodes.js';
import type { ProfileTarget } from './profile-targets.js';
import type { DeployOneNode } from './rollout.js';
import { failure, type NodeShell } from './switch/node-ssh.js';
import type { ActivationAction } from './switch/remote-scripts.js';
import type { PreparedNode } from './switch/switch-prepare.js';

/**
 * flakeflow's record on a node of what its deploys put there: beside each profile it sets, so nodes
 * that share a machine (as in the tests) keep theirs apart. Only a confirmed activation is recorded,
 * so after a rollback the record still holds the deploy of the system the node is back on.
 */

/** Where the record of `profile` lives on the node. */
export function deployRecordFile(profile: string): string {
  return `${profile}.flakeflow-deploy.json`;
}

/** Who deployed: the checked-out commit and the GitHub run, the same for every node of a run. */
export interface DeployOrigin {
  /** The commit checked out in the flake's repository; unset outside git. */
  commit?: string;
  /** The GitHub Actions run; unset when deployed from a terminal. */
  runUrl?: string;
  now: () => number;
}

/** One deploy as the record keeps it. */
export const deployEntryShape = z.object({
  node: z.string(),
  commit: z.string().nullable(),
  attribute: z.string(),
  path: z.string(),
  action: z.string(),
  deployedAt: z.string(),
  runUrl: z.string().nullable(),
});
export type DeployEntry = z.output<typeof deployEntryShape>;

/** The record: the latest deploys, newest first. */
export const deployRecordShape = z.object({ version: z.literal(1), deploys: z.array(deployEntryShape) });

/** How many deploys a record keeps: enough to know the commit of any system a rollback returns to. */
export const KEPT_DEPLOYS = 10;

const RECORD_HEAD = '{"version":1,"deploys":[';
const RECORD_TAIL = ']}';

/**
 * Writes records as pairs of arguments (file, entry): the new entry first, then the entries of the
 * record there, one per line, up to the limit; root-only and renamed into place, so a reader never
 * sees half a record.
 */
export const WRITE_RECORDS = `head=$1 tail=$2 keep=$3; shift 3
umask 077
while [ "$#" -ge 2 ]; do
  file=$1 entry=$2; shift 2; tmp="$file.tmp.$$"
  { printf '%s\\n%s\\n' "$head" "$entry"
    [ -f "$file" ] && sed -n 's/^,\\{0,1\\}\\({.*}\\)$/,\\1/p' "$file" | head -n "$keep"
    printf '%s\\n' "$tail"; } >"$tmp" && mv -f "$tmp" "$file" || { rm -f "$tmp"; exit 1; }
done`;

/** One profile a deploy set. */
export interface DeployedProfile {
  profile: string;
  path: string;
  /** The flake attribute it was built from, e.g. `nixosConfigurations.web.config.system.build.toplevel`. */
  attribute: string;
}

/**
 * Records a confirmed deploy of `node` on the node itself. A record that cannot be written does not
 * undo the deploy: the node's log says so and `status` will call the node drifted.
 */
export async function recordDeploy(
  shell: NodeShell,
  deployed: readonly DeployedProfile[],
  details: { action: string; origin: DeployOrigin; asRoot?: boolean },
  lines: string[],
): Promise<void> {
  const { origin } = details;
  const deployedAt = new Date(origin.now()).toISOString();
  const args = deployed.flatMap((profile) => {
    const entry: DeployEntry = {
      node: shell.node.name,
      commit: origin.commit ?? null,
      attribute: profile.attribute,
      path: profile.path,
      action: details.action,
      deployedAt,
      runUrl: origin.runUrl ?? null,
    };
    return [deployRecordFile(profile.profile), JSON.stringify(entry)];
  });
  try {
    const result = await shell.run(
      WRITE_RECORDS,
      [RECORD_HEAD, RECORD_TAIL, String(KEPT_DEPLOYS - 1), ...args],
      { timeoutMs: 60_000, ...(details.asRoot === undefined ? {} : { asRoot: details.asRoot }) },
    );
    if (!succeeded(result)) throw new Error(failure(result));
    lines.push(
      `recorded the deploy in ${deployed.map((profile) => deployRecordFile(profile.profile)).join(', ')}`,
    );
  } catch (error) {
    lines.push(`could not record the deploy on the node: ${stringifyError(error)}`);
  }
}

/** The record's text as the node holds it, or undefined when it is missing or unreadable. */
export function parseDeployRecord(text: string): DeployEntry[] | undefined {
  if (text.trim() === '') return undefined;
  try {
    const checked = deployRecordShape.safeParse(JSON.parse(text));
    return checked.success ? checked.data.deploys : undefined;
  } catch {
    return undefined;
  }
}

/** What deploy-rs's deployer needs to record the nodes it deployed. */
export interface DeployRsRecording {
  /** Each node's profiles and their paths, when the fleet model could evaluate them. */
  targets: ReadonlyMap<string, readonly ProfileTarget[]> | undefined;
  shellFor: (node: DeployNode) => NodeShell;
  action: string;
  origin: DeployOrigin;
  logger: Logger;
}

/** deploy-rs's deployer, recording on each node it deployed which profiles now hold what. */
export function recordingDeployRs(deployOne: DeployOneNode, recording: DeployRsRecording): DeployOneNode {
  return async (node, wave) => {
    const result = await deployOne(node, wave);
    if (result.status !== 'deployed') return result;
    const lines: string[] = [];
    const profiles = recording.targets?.get(node.name);
    if (profiles === undefined || profiles.length === 0) {
      lines.push('could not record the deploy on the node: its profiles did not evaluate');
    } else {
      await recordDeploy(
        recording.shellFor(node),
        profiles.map((target) => ({
          profile: target.profilePath,
          path: target.path,
          attribute: attrPathText(['deploy', 'nodes', node.name, 'profiles', target.profile, 'path']),
        })),
        { action: recording.action, origin: recording.origin },
        lines,
      );
    }
    for (const line of lines) recording.logger.info(`${node.name}: ${line}`);
    return result;
  };
}

/** Records the switch engine's confirmed activation of a node's toplevel. */
export function recordSwitch(
  prepared: Pick<PreparedNode, 'node' | 'system' | 'shell'>,
  options: { flags: { action: ActivationAction }; origin: DeployOrigin },
  lines: string[],
): Promise<void> {
  const { node, system, shell } = prepared;
  return recordDeploy(
    shell,
    [{ profile: node.profile, path: system.path, attribute: attrPathText(system.attrPath) }],
    // A Home Manager profile belongs to its user, who may have no sudo.
    {
      action: options.flags.action,
      origin: options.origin,
      ...(system.kind === 'home' ? { asRoot: true } : {}),
    },
    lines,
  );
}

import { stringifyError } from '../core/errors.js';
import { succeeded } from '../core/process.js';
import { type DeployEntry, deployRecordFile, parseDeployRecord } from '../deploy/deploy-record.js';
import { failure, type NodeShell } from '../deploy/switch/node-ssh.js';

/** The links of a system that a reboot alone changes, as NixOS's auto-upgrade compares them. */
export const BOOT_LINKS = ['initrd', 'kernel', 'kernel-modules'] as const;

/**
 * Prints what a node runs (its current-system link, else its profile), the system it booted, where
 * each of them links `initrd`, `kernel` and `kernel-modules` (one `readlink`, as NixOS compares), and
 * flakeflow's deploy record of the profile, each line of it after `record:`.
 * Arguments: current-system, profile, booted-system, record file.
 */
export const READ_STATUS = `current=$1 profile=$2 booted=$3 record=$4
if [ -e "$current" ]; then running=$(readlink -f "$current"); elif [ -e "$profile" ]; then running=$(readlink -f "$profile"); else running=; fi
echo "running:$running"
if [ -e "$booted" ]; then echo "booted:$(readlink -f "$booted")"; else echo "booted:"; fi
for link in ${BOOT_LINKS.join(' ')}; do
  echo "running-$link:$( [ -n "$running" ] && readlink "$running/$link")"
  echo "booted-$link:$( [ -e "$booted" ] && readlink "$booted/$link")"
done
[ -f "$record" ] && sed 's/^/record:/' "$record"
exit 0`;

/** Where on a node its system and flakeflow's record of it are found. */
export interface NodeLinks {
  currentSystem: string;
  profile: string;
  bootedSystem: string;
  /** A Home Manager profile and its record belong to the SSH user: read without sudo. */
  ownedByUser?: boolean;
}

/** What one node showed over SSH. */
export interface NodeReading {
  /** The store path it runs; undefined on a node with no system yet. */
  running?: string;
  /** The system it booted; undefined where there is none (nix-darwin, Home Manager). */
  booted?: string;
  /** Whether kernel, initrd or kernel modules differ between what it runs and what it booted. */
  bootDiffers: boolean;
  /** flakeflow's deploys of the profile, newest first; undefined when none was recorded. */
  deploys?: DeployEntry[];
}

/** Reads a node in one SSH command; an unreachable node is `{ error }` with ssh's reason. */
export async function readNode(shell: NodeShell, links: NodeLinks): Promise<NodeReading | { error: string }> {
  try {
    // The record is root-only: sudo for another user, unless the profile is that user's.
    const result = await shell.run(
      READ_STATUS,
      [links.currentSystem, links.profile, links.bootedSystem, deployRecordFile(links.profile)],
      { timeoutMs: 60_000, ...(links.ownedByUser ? { asRoot: true } : {}) },
    );
    if (!succeeded(result)) return { error: `ssh ${shell.destination} ${failure(result)}` };
    return parseReading(result.stdout);
  } catch (error) {
    return { error: stringifyError(error) };
  } finally {
    await shell.close();
  }
}

/** The lines READ_STATUS printed, read back. */
export function parseReading(stdout: string): NodeReading {
  const values = new Map<string, string>();
  const record: string[] = [];
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'record') record.push(value);
    else if (!values.has(key)) values.set(key, value.trim());
  }
  const present = (key: string) => {
    const value = values.get(key);
    return value === undefined || value === '' ? undefined : value;
  };
  const running = present('running');
  const booted = present('booted');
  const bootDiffers =
    booted !== undefined &&
    running !== undefined &&
    BOOT_LINKS.some((link) => (values.get(`running-${link}`) ?? '') !== (values.get(`booted-${link}`) ?? ''));
  const deploys = parseDeployRecord(record.join('\n'));
  return {
    ...(running === undefined ? {} : { running }),
    ...(booted === undefined ? {} : { booted }),
    bootDiffers,
    ...(deploys === undefined ? {} : { deploys }),
  };
}

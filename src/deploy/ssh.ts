import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CleanupRegistry } from '../core/cleanup.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withFinalNewline, writePrivateKeyFile } from '../core/ssh-key.js';
import type { DeployNode } from './nodes.js';

export interface SshSettings {
  privateKey?: string;
  knownHosts?: string;
  strictHostKeyChecking: boolean;
  /** The `ssh-opts` input, appended after the flake's sshOpts. */
  extraOptions: readonly string[];
}

/** How every ssh of the run connects: deploy-rs's own, `nix copy`'s and the health checks'. */
export interface SshAccess {
  /**
   * Options pinning host keys, turning off multiplexing and naming the key; first, so they win (the
   * switch engine puts its own shared connection before them for the commands that may share one).
   */
  options: string[];
  extraOptions: readonly string[];
  keyFile?: string;
  knownHostsFile: string;
}

/** Options a user might pass that would undo the host-key pinning or the rollback confirmation. */
const GUARDED_OPTIONS =
  /^(StrictHostKeyChecking|UserKnownHostsFile|GlobalKnownHostsFile|ControlPath|ControlMaster)\b/i;

/** Refuses settings that would deploy without pinned host keys; runs before anything else does. */
export function checkSshSettings(settings: SshSettings, logger: Logger): void {
  const guarded = settings.extraOptions.find((option) => GUARDED_OPTIONS.test(option.replace(/^-o/, '')));
  if (guarded !== undefined) {
    throw new UserError(
      `Input 'ssh-opts' must not set ${guarded.replace(/^-o/, '').split('=')[0]}: flakeflow pins host keys ` +
        "from 'known-hosts' and turns multiplexing off so rollback confirmations are real",
    );
  }
  if (settings.strictHostKeyChecking) {
    if (settings.knownHosts !== undefined) return;
    throw new UserError(
      "Input 'known-hosts' is required to pin the nodes' host keys (the lines `ssh-keyscan <host>` prints); " +
        "set 'strict-host-key-checking: false' to accept unknown keys on first use instead",
    );
  }
  logger.warning(
    settings.knownHosts === undefined
      ? "strict-host-key-checking is false and no known-hosts were given: the nodes' host keys are accepted " +
          'on first use, not verified; pin them with the known-hosts input'
      : 'strict-host-key-checking is false: nodes missing from known-hosts are accepted on first use, not ' +
          'verified (a changed key is still refused)',
  );
}

/**
 * Writes the key (mode 0600) and known_hosts into a private directory under RUNNER_TEMP, registered
 * for removal before anything is written, so a cancelled step still leaves the post step the path.
 */
export async function prepareSshAccess(
  settings: SshSettings,
  runnerTemp: string,
  cleanup: CleanupRegistry,
  logger: Logger,
): Promise<SshAccess> {
  const directory = await mkdtemp(join(runnerTemp, 'flakeflow-deploy-ssh-'));
  cleanup.add(directory);
  await chmod(directory, 0o700);

  const knownHostsFile = join(directory, 'known_hosts');
  await writeFile(knownHostsFile, withFinalNewline(settings.knownHosts ?? ''), { mode: 0o600 });
  const options = [
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    `StrictHostKeyChecking=${settings.strictHostKeyChecking ? 'yes' : 'accept-new'}`,
    '-o',
    'ControlPath=none',
    '-o',
    'BatchMode=yes',
  ];

  let keyFile: string | undefined;
  if (settings.privateKey !== undefined) {
    logger.mask(settings.privateKey);
    keyFile = join(directory, 'id_deploy');
    await writePrivateKeyFile(keyFile, settings.privateKey, 'ssh-private-key');
    options.push('-i', keyFile, '-o', 'IdentitiesOnly=yes');
  }
  return {
    options,
    extraOptions: settings.extraOptions,
    knownHostsFile,
    ...(keyFile === undefined ? {} : { keyFile }),
  };
}

/** Where the switch engine keeps the control sockets of its nodes' shared connections: private to the run. */
export function sharedConnectionDir(access: SshAccess): string {
  return dirname(access.knownHostsFile);
}

/** Every ssh option for one node: flakeflow's first, then the flake's, then the `ssh-opts` input. */
export function nodeSshOptions(access: SshAccess, node: DeployNode): string[] {
  return [...access.options, ...node.sshOpts, ...access.extraOptions];
}

import { UserError } from '../../core/errors.js';
import { describeExit, type ProcessResult, type ProcessRunner, succeeded } from '../../core/process.js';
import { READ_RUNNING, remoteCommand } from './remote-scripts.js';
import type { SwitchNode } from './switch-nodes.js';

/** What reaching a node takes. */
export type RemoteNode = Pick<SwitchNode, 'name' | 'hostname'> & {
  /** ssh's own default (the runner's user) when unset, as deploy-rs does. */
  sshUser?: string;
};

/** Where a node's system stands: the current-system link and the profile, read in that order. */
export interface RunningLinks {
  currentSystem: string;
  profile: string;
}

export interface RemoteRunOptions {
  timeoutMs: number;
  /** Run without sudo: only for what any user may do. */
  asRoot?: boolean;
  newConnection?: boolean;
  /** Kills the ssh; see `closeWhenAborted` for what ends the command on the node. */
  signal?: AbortSignal;
}

/**
 * Reading what a node runs is one short ssh: even a one-by-one rollout, and `status`, read this many
 * nodes at once, so that a fleet of a dozen is read in one round.
 */
export const READS_AT_ONCE = 16;

/** How long an idle shared connection outlives its last command, should flakeflow not close it. */
const SHARED_CONNECTION_IDLE_S = 300;

/** A control socket path longer than this does not fit a Unix socket address (108 bytes on Linux). */
const MAX_CONTROL_PATH_BYTES = 100;

/**
 * A link that died ends the node's ssh within a minute, instead of a copy or a read hanging on it;
 * after the node's own options, which win (ssh takes an option's first value).
 */
const DEAD_LINK_OPTIONS = ['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4'];

/**
 * How flakeflow reaches one node over SSH, and how `nix copy` does. With a control path, its
 * commands and `nix copy` share one connection (the first opens it), unless run on a new one.
 */
export class NodeShell {
  /** Every ssh option of the node's shared commands: the shared connection's, then `sshOptions`. */
  private readonly sharedOptions: readonly string[];
  /** Whether its commands and `nix copy` share one connection. */
  private readonly shareable: boolean;
  /** Whether a command that opens or uses the shared connection ran since it was last closed. */
  private mayBeShared = false;

  constructor(
    private readonly runner: ProcessRunner,
    readonly node: RemoteNode,
    /** Every ssh option of the node, host-key pinning and `ControlPath=none` first. */
    readonly sshOptions: readonly string[],
    controlPath?: string,
  ) {
    // ssh takes the first value of an option, so these go before the `ControlPath=none` they override;
    // NIX_SSHOPTS is split on spaces, so a path holding one cannot be shared with `nix copy`.
    this.shareable =
      controlPath !== undefined &&
      Buffer.byteLength(controlPath) <= MAX_CONTROL_PATH_BYTES &&
      !/\s/.test(controlPath);
    this.sharedOptions = this.shareable
      ? [
          '-o',
          'ControlMaster=auto',
          '-o',
          `ControlPath=${controlPath}`,
          '-o',
          `ControlPersist=${SHARED_CONNECTION_IDLE_S}`,
          ...sshOptions,
          ...DEAD_LINK_OPTIONS,
        ]
      : [...sshOptions, ...DEAD_LINK_OPTIONS];
  }

  get destination(): string {
    const { sshUser, hostname } = this.node;
    return sshUser === undefined ? hostname : `${sshUser}@${hostname}`;
  }

  /**
   * The store URL `nix copy` pushes to; its ssh reads the same options from NIX_SSHOPTS. The legacy
   * `ssh://` protocol (`nix-store --serve`), not `ssh-ng://`: with `--substitute-on-destination` only it
   * lets the node fetch from its substituters on every Nix (ssh-ng does not on 2.8), and it takes the
   * runner's unsigned paths, which a node's daemon refuses over ssh-ng unless `--no-check-sigs`.
   */
  get storeUrl(): string {
    return `ssh://${this.destination}`;
  }

  /** NIX_SSHOPTS is split on whitespace, so an option holding a space cannot be passed on. */
  nixSshEnv(): Record<string, string> {
    const spaced = this.sshOptions.find((option) => /\s/.test(option));
    if (spaced !== undefined) {
      throw new UserError(
        `SSH option '${spaced}' contains a space, which nix copy cannot pass on: NIX_SSHOPTS is split on spaces`,
      );
    }
    this.mayBeShared = this.shareable;
    return { NIX_SSHOPTS: this.sharedOptions.join(' ') };
  }

  /**
   * Runs a fixed script on the node as root (through `sudo -n` for another user), over the shared
   * connection unless `newConnection`: what proves the node still accepts one.
   */
  run(script: string, args: readonly string[], options: RemoteRunOptions): Promise<ProcessResult> {
    const { timeoutMs, asRoot = this.node.sshUser === 'root', newConnection = false, signal } = options;
    if (!newConnection) this.mayBeShared = this.shareable;
    return this.runner.run(
      'ssh',
      [
        ...(newConnection ? [...this.sshOptions, ...DEAD_LINK_OPTIONS] : this.sharedOptions),
        '-o',
        'ConnectTimeout=30',
        '--',
        this.destination,
        remoteCommand(script, args, asRoot),
      ],
      { timeoutMs, ...(signal === undefined ? {} : { signal }) },
    );
  }

  /**
   * Ends the shared connection once `signal` aborts. Killing a command's ssh (or the `nix copy`
   * running it) does not end it on the node, and the connection's master holds the killed process's
   * output open until it does: a node that stopped reading would keep it waiting for ever. Returns
   * what stops listening, for when the command is done.
   */
  closeWhenAborted(signal: AbortSignal): () => void {
    const close = () => void this.close().catch(() => undefined);
    if (signal.aborted) {
      close();
      return () => undefined;
    }
    signal.addEventListener('abort', close, { once: true });
    return () => signal.removeEventListener('abort', close);
  }

  /** Ends the shared connection, if one may be open; it would otherwise linger idle for minutes. */
  async close(): Promise<void> {
    if (!this.mayBeShared) return;
    this.mayBeShared = false;
    await this.runner.run('ssh', [...this.sharedOptions, '-O', 'exit', '--', this.destination], {
      timeoutMs: 10_000,
    });
  }

  /** The store path the node runs now, or undefined on a node that has none yet. */
  async readRunning(links: RunningLinks): Promise<string | undefined> {
    const [path] = await this.readRunningAll([links]);
    return path;
  }

  /** What each of `links` holds, in one round trip; undefined where a node has no system yet. */
  async readRunningAll(links: readonly RunningLinks[]): Promise<(string | undefined)[]> {
    const args = links.flatMap((link) => [link.currentSystem, link.profile]);
    // Links are world-readable: no sudo needed.
    const result = await this.run(READ_RUNNING, args, { timeoutMs: 60_000, asRoot: true });
    if (!succeeded(result)) {
      throw new Error(`cannot read what ${this.node.name} runs: ssh ${this.destination} ${failure(result)}`);
    }
    const paths = [...result.stdout.matchAll(/^running:(.*)$/gm)].map((match) => match[1]?.trim());
    if (paths.length !== links.length) {
      throw new Error(
        `cannot read what ${this.node.name} runs: ssh ${this.destination} printed ${paths.length} paths for ${links.length} links`,
      );
    }
    return paths.map((path) => (path === '' ? undefined : path));
  }
}

/** How a remote command failed, with its last line of output. */
export function failure(result: ProcessResult): string {
  const last = `${result.stderr}${result.stdout}`.trim().split('\n').at(-1);
  return `${describeExit(result)}${last ? `: ${last}` : ''}`;
}

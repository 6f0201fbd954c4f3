import { UserError } from '../../core/errors.js';
import { describeExit, type ProcessResult, type ProcessRunner, succeeded } from '../../core/process.js';
import { READ_RUNNING, remoteCommand } from './remote-scripts.js';
import type { SwitchNode } from './switch-nodes.js';

/** What reaching a node and reading what it runs takes. */
export type RemoteNode = Pick<SwitchNode, 'name' | 'hostname' | 'profile' | 'currentSystem'> & {
  /** ssh's own default (the runner's user) when unset, as deploy-rs does. */
  sshUser?: string;
};

/** How flakeflow reaches one node over SSH, and how `nix copy` does. */
export class NodeShell {
  constructor(
    private readonly runner: ProcessRunner,
    readonly node: RemoteNode,
    /** Every ssh option of the node, host-key pinning first. */
    readonly sshOptions: readonly string[],
  ) {}

  get destination(): string {
    const { sshUser, hostname } = this.node;
    return sshUser === undefined ? hostname : `${sshUser}@${hostname}`;
  }

  /** The store URL `nix copy` pushes to; its ssh reads the same options from NIX_SSHOPTS. */
  get storeUrl(): string {
    return `ssh-ng://${this.destination}`;
  }

  /** NIX_SSHOPTS is split on whitespace, so an option holding a space cannot be passed on. */
  nixSshEnv(): Record<string, string> {
    const spaced = this.sshOptions.find((option) => /\s/.test(option));
    if (spaced !== undefined) {
      throw new UserError(
        `SSH option '${spaced}' contains a space, which nix copy cannot pass on: NIX_SSHOPTS is split on spaces`,
      );
    }
    return { NIX_SSHOPTS: this.sshOptions.join(' ') };
  }

  /** Runs a fixed script on the node as root (through `sudo -n` for another user); each call is a NEW connection. */
  run(
    script: string,
    args: readonly string[],
    timeoutMs: number,
    asRoot = this.node.sshUser === 'root',
  ): Promise<ProcessResult> {
    return this.runner.run(
      'ssh',
      [
        ...this.sshOptions,
        '-o',
        'ConnectTimeout=30',
        '--',
        this.destination,
        remoteCommand(script, args, asRoot),
      ],
      { timeoutMs },
    );
  }

  /** The store path the node runs now, or undefined on a node that has none yet. */
  async readRunning(): Promise<string | undefined> {
    // Links are world-readable: no sudo needed.
    const result = await this.run(READ_RUNNING, [this.node.currentSystem, this.node.profile], 60_000, true);
    if (!succeeded(result)) {
      throw new Error(`cannot read what ${this.node.name} runs: ssh ${this.destination} ${failure(result)}`);
    }
    const path = result.stdout.trim();
    return path === '' ? undefined : path;
  }
}

/** How a remote command failed, with its last line of output. */
export function failure(result: ProcessResult): string {
  const last = `${result.stderr}${result.stdout}`.trim().split('\n').at(-1);
  return `${describeExit(result)}${last ? `: ${last}` : ''}`;
}

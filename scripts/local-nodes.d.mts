import type { CacheRequest } from './binary-cache-server.mjs';
import type { LocalSshd } from './local-sshd.mjs';

/** One separate node: its own /nix and /run under `dir`, reached at `address` by the nodes' sshd. */
export interface LocalNode {
  name: string;
  address: string;
  dir: string;
  /** The node's store seen from the runner (`local?root=…`). */
  storeUrl: string;
}

/** A signed binary cache on the nodes' side, served over HTTP with every request logged. */
export interface NodesCache {
  dir: string;
  /** Where the nodes reach it, under a random path (requests' paths are below it). */
  url: string;
  secretKeyFile: string;
  publicKey: string;
  requests(): CacheRequest[];
  fill(
    paths: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; compression?: 'xz' | 'none' },
  ): Promise<void>;
  stop(): Promise<void>;
}

export interface NodesNetwork {
  netns: string;
  runnerLink: string;
  nodesLink: string;
  runnerAddress: string;
  subnet: string;
}

export interface NodesOptions {
  /** A binary cache on the nodes' side (default true). */
  cache?: boolean;
  /** Put nodes and cache in their own network namespace, linked to the runner by a veth pair. */
  netns?: boolean;
  /** tc rate of that link both ways, e.g. `100mbit`. */
  uplink?: string;
  /** By node name: its /nix on a tmpfs of this many MiB. */
  storeLimitMiB?: Record<string, number>;
  /** The Nix the nodes run, first on their PATH. */
  nixBinDir?: string;
  /** Nix's require-sigs on the nodes (default true); false lets them take unsigned paths over ssh-ng://. */
  requireSigs?: boolean;
}

export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LocalNodes {
  nodes: LocalNode[];
  sshd: LocalSshd;
  cache: NodesCache | undefined;
  network: NodesNetwork | undefined;
  /** The `ssh-opts` input that reaches them (the port). */
  sshOpts: string;
  /** A known_hosts file pinning the nodes' host key at every address. */
  knownHostsFile: string;
  run(name: string, script: string): Promise<RemoteResult>;
  validPaths(name: string, paths: readonly string[]): Promise<string[]>;
  linkBytes(): Promise<{ sent: number; received: number }>;
  stop(): Promise<void>;
}

export function startNodes(
  dir: string,
  names: readonly string[],
  options?: NodesOptions,
): Promise<LocalNodes>;

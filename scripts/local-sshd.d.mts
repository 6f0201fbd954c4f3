export interface KeyPair {
  privateKeyFile: string;
  privateKey: string;
  publicKey: string;
}

/** A real OpenSSH server (on 127.0.0.1 unless told), with throwaway host and user keys. */
export interface LocalSshd {
  port: number;
  user: string;
  userKey: KeyPair;
  /** known_hosts pinning this server's host key, a line per address. */
  knownHosts: string;
  /** known_hosts naming this server with some other key, as after a host was replaced. */
  wrongKnownHosts: string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Where it listens (port `port` on each); 127.0.0.1 by default. */
  addresses?: readonly string[];
  /** sshd's ForceCommand: runs every session, SSH_ORIGINAL_COMMAND holding what was asked. */
  forceCommand?: string;
  /** A network namespace to run it in. */
  netns?: string;
  /** A directory its sessions see as the user's home (a mount namespace of sshd's own). */
  home?: string;
}

export function generateKeyPair(file: string, comment?: string): Promise<KeyPair>;
export function startSshd(dir: string, options?: SshdOptions): Promise<LocalSshd>;
export function stopChild(child: import('node:child_process').ChildProcess): Promise<void>;

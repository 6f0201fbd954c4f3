export interface KeyPair {
  privateKeyFile: string;
  privateKey: string;
  publicKey: string;
}

/** A real OpenSSH server on 127.0.0.1, with throwaway host and user keys. */
export interface LocalSshd {
  port: number;
  user: string;
  userKey: KeyPair;
  /** known_hosts pinning this server's host key. */
  knownHosts: string;
  /** known_hosts naming this server with some other key, as after a host was replaced. */
  wrongKnownHosts: string;
  stop(): Promise<void>;
}

export function startSshd(dir: string): Promise<LocalSshd>;

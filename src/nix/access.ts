import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RoleEnvironments } from '../core/child-environment.js';
import type { CleanupRegistry } from '../core/cleanup.js';
import { withFinalNewline, writePrivateKeyFile } from '../core/ssh-key.js';
import { netrcPasswords } from './netrc.js';

/** One `access-tokens` entry: Nix sends `token` to `host` for github:, gitlab: and tarball inputs. */
export interface AccessToken {
  host: string;
  token: string;
}

/** What lets Nix fetch a fleet's private inputs: the secrets of the inputs of src/nix/access-inputs.ts. */
export interface NixAccessSettings {
  /** The private key git+ssh inputs are fetched with (`inputs-ssh-key`). */
  sshKey?: string;
  /** known_hosts lines the inputs' hosts are checked against (`inputs-known-hosts`). */
  knownHosts?: string;
  /** `nix-access-tokens`, and lock-update's own token for github.com when `inputs-use-token` says so. */
  accessTokens?: readonly AccessToken[];
  /**
   * A netrc (`machine HOST login USER password PASS` lines) for the binary caches Nix substitutes
   * from and pushes to: `netrc`, and `cache-token` turned into lines (src/nix/cache-access.ts).
   */
  netrc?: string;
}

/** Where a run's Nix access lives, and what is given to its Nix processes (role `nix`). */
export interface NixAccess {
  /** The private directory (0700): nix.conf, the key, known_hosts. Undefined when nothing was given. */
  directory?: string;
  /** The variables for every Nix process: child-environment.ts gives them to role `nix` only. */
  roles: RoleEnvironments;
  /** Removes the directory; safe to call twice. */
  remove(): Promise<void>;
}

export interface NixAccessContext {
  /** The run's temp dir (RUNNER_TEMP): the private directory is made in it. */
  tempDir: string;
  cleanup: CleanupRegistry;
  /** Masks a secret in every later output line. */
  mask(secret: string): void;
  /** The step's environment: the user's own nix.conf files are looked up as Nix would. */
  stepEnvironment: Readonly<Record<string, string | undefined>>;
}

export const NO_NIX_ACCESS: NixAccess = { roles: {}, remove: async () => {} };

/**
 * Writes the Nix access into a private directory of the run's temp dir: a nix.conf only Nix reads
 * (named by NIX_USER_CONF_FILES before the user's own files, so theirs still apply), the inputs' key
 * (0600) and known_hosts, which GIT_SSH_COMMAND names for the git Nix runs. Nothing given, nothing
 * written. The directory is registered for the post step before anything secret is written in it.
 */
export async function prepareNixAccess(
  settings: NixAccessSettings,
  context: NixAccessContext,
): Promise<NixAccess> {
  const tokens = settings.accessTokens ?? [];
  if (settings.sshKey === undefined && tokens.length === 0 && settings.netrc === undefined) {
    return NO_NIX_ACCESS;
  }
  for (const { token } of tokens) context.mask(token);
  if (settings.sshKey !== undefined) context.mask(settings.sshKey);
  for (const password of netrcPasswords(settings.netrc ?? '')) context.mask(password);

  const directory = await mkdtemp(join(context.tempDir, 'flakeflow-nix-access-'));
  context.cleanup.add(directory);
  await chmod(directory, 0o700);
  const env: Record<string, string> = {};

  const conf = privateNixConf(settings);
  if (settings.netrc !== undefined) {
    const netrcFile = join(directory, 'netrc');
    await writeFile(netrcFile, withFinalNewline(settings.netrc), { mode: 0o600 });
    await chmod(netrcFile, 0o600);
    conf.push(`netrc-file = ${netrcFile}`);
  }
  if (conf.length > 0) {
    const confFile = join(directory, 'nix.conf');
    await writeFile(confFile, `${conf.join('\n')}\n`, { mode: 0o600 });
    env.NIX_USER_CONF_FILES = [confFile, ...userNixConfFiles(context.stepEnvironment)].join(':');
  }
  if (settings.sshKey !== undefined) {
    const keyFile = join(directory, 'id_inputs');
    await writePrivateKeyFile(keyFile, settings.sshKey, 'inputs-ssh-key');
    const knownHostsFile = join(directory, 'known_hosts');
    await writeFile(knownHostsFile, withFinalNewline(settings.knownHosts ?? ''), { mode: 0o600 });
    env.GIT_SSH_COMMAND = gitSshCommand(keyFile, knownHostsFile);
  }
  return {
    directory,
    roles: { nix: env },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * The lines of the private nix.conf (the netrc's `netrc-file` is added where the file is written).
 * `extra-access-tokens` adds to the tokens the user's own files
 * set (checked on Nix 2.8 and 2.26) instead of replacing them.
 */
export function privateNixConf(settings: NixAccessSettings): string[] {
  const tokens = settings.accessTokens ?? [];
  return tokens.length === 0
    ? []
    : [`extra-access-tokens = ${tokens.map(({ host, token }) => `${host}=${token}`).join(' ')}`];
}

/**
 * The user's nix.conf files as Nix finds them when NIX_USER_CONF_FILES is unset: $XDG_CONFIG_HOME
 * (~/.config), then each of $XDG_CONFIG_DIRS (/etc/xdg), each with nix/nix.conf. Setting the
 * variable replaces that lookup, so the private file is listed first and these after it.
 */
export function userNixConfFiles(env: Readonly<Record<string, string | undefined>>): string[] {
  if (env.NIX_USER_CONF_FILES) return env.NIX_USER_CONF_FILES.split(':').filter((file) => file !== '');
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter((dir) => dir !== '');
  return [configHome, ...configDirs].map((dir) => join(dir, 'nix', 'nix.conf'));
}

/**
 * The ssh git runs for Nix's git+ssh fetches: this key only (not the agent's nor ~/.ssh's), host keys
 * from known_hosts only and checked, never a prompt. git runs it through the shell, hence the quotes.
 */
export function gitSshCommand(keyFile: string, knownHostsFile: string): string {
  return [
    'ssh',
    '-i',
    shellQuote(keyFile),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
  ].join(' ');
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Parses `nix-access-tokens`: `host=token` entries, one a line or separated by spaces as Nix writes
 * them. The error never shows a token.
 */
export function parseAccessTokens(raw: string): AccessToken[] | { invalid: string } {
  const tokens: AccessToken[] = [];
  for (const entry of raw.split(/\s+/).filter((word) => word !== '')) {
    const separator = entry.indexOf('=');
    const host = entry.slice(0, separator);
    if (separator <= 0 || separator === entry.length - 1) {
      return {
        invalid: separator <= 0 ? `an entry without "host="` : `an entry for "${host}" without a token`,
      };
    }
    tokens.push({ host, token: entry.slice(separator + 1) });
  }
  return tokens;
}

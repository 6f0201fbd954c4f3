import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import {
  gitSshCommand,
  NO_NIX_ACCESS,
  parseAccessTokens,
  prepareNixAccess,
  userNixConfFiles,
} from '../../src/nix/access.js';
import { runNix } from '../../src/nix/cli.js';
import { NIX_VERSIONS } from '../support/versions.js';

// Not a real key: the header is all flakeflow checks before ssh reads it.
const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\n-----END OPENSSH PRIVATE KEY-----';
const KNOWN_HOSTS =
  'git.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-access-test-'));
  temps.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

function context(dir: string, stepEnvironment: Record<string, string> = { HOME: '/home/runner' }) {
  const masked: string[] = [];
  const registered: string[] = [];
  return {
    masked,
    registered,
    value: {
      tempDir: dir,
      cleanup: { add: (path: string) => registered.push(path) },
      mask: (secret: string) => masked.push(secret),
      stepEnvironment,
    },
  };
}

describe('prepareNixAccess', () => {
  it('writes nothing and gives nothing when no key and no token are given', async () => {
    const dir = await tempDir();
    const { value, registered } = context(dir);
    const access = await prepareNixAccess({ knownHosts: KNOWN_HOSTS }, value);
    expect(access).toBe(NO_NIX_ACCESS);
    expect(registered).toEqual([]);
  });

  it('writes a private directory for Nix alone: nix.conf with the tokens, the key and known_hosts', async () => {
    const dir = await tempDir();
    const { value, registered, masked } = context(dir);
    const access = await prepareNixAccess(
      {
        sshKey: KEY,
        knownHosts: KNOWN_HOSTS,
        accessTokens: [
          { host: 'github.com', token: 'ghp_secret1' },
          { host: 'gitlab.example/group', token: 'PAT:glpat-2' },
        ],
      },
      value,
    );
    const directory = access.directory as string;
    expect(registered).toEqual([directory]);
    expect(masked).toEqual(expect.arrayContaining(['ghp_secret1', 'PAT:glpat-2', KEY]));
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    for (const file of ['nix.conf', 'id_inputs', 'known_hosts']) {
      expect((await stat(join(directory, file))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(join(directory, 'nix.conf'), 'utf8')).toBe(
      'extra-access-tokens = github.com=ghp_secret1 gitlab.example/group=PAT:glpat-2\n',
    );
    expect(await readFile(join(directory, 'id_inputs'), 'utf8')).toBe(`${KEY.replace(/\r\n/g, '\n')}\n`);
    expect(await readFile(join(directory, 'known_hosts'), 'utf8')).toBe(`${KNOWN_HOSTS}\n`);
    expect(access.roles.nix).toEqual({
      NIX_USER_CONF_FILES: `${join(directory, 'nix.conf')}:/home/runner/.config/nix/nix.conf:/etc/xdg/nix/nix.conf`,
      GIT_SSH_COMMAND: gitSshCommand(join(directory, 'id_inputs'), join(directory, 'known_hosts')),
    });
    await access.remove();
    await expect(stat(directory)).rejects.toThrow();
  });

  it('sets only what was given: tokens without a key leave git and ssh alone', async () => {
    const dir = await tempDir();
    const access = await prepareNixAccess(
      { accessTokens: [{ host: 'github.com', token: 'ghp_x' }] },
      context(dir).value,
    );
    expect(Object.keys(access.roles.nix ?? {})).toEqual(['NIX_USER_CONF_FILES']);
    const keyOnly = await prepareNixAccess({ sshKey: KEY, knownHosts: KNOWN_HOSTS }, context(dir).value);
    expect(Object.keys(keyOnly.roles.nix ?? {})).toEqual(['GIT_SSH_COMMAND']);
  });

  it('refuses a key input that holds no private key, naming the input and not the value', async () => {
    const dir = await tempDir();
    const refused = prepareNixAccess({ sshKey: 'ssh-ed25519 AAAAC3Nz public' }, context(dir).value);
    await expect(refused).rejects.toThrow(UserError);
    await expect(refused).rejects.toThrow(
      /^Input 'inputs-ssh-key' must be a private key .*got something else$/,
    );
  });

  it('reaches a Nix process through runNix, and no other child, and Nix reads the private nix.conf', async () => {
    const dir = await tempDir();
    const home = await tempDir();
    const access = await prepareNixAccess(
      { sshKey: KEY, knownHosts: KNOWN_HOSTS, accessTokens: [{ host: 'github.com', token: 'ghp_seen' }] },
      context(dir, { HOME: home }).value,
    );
    const runner = new SpawnProcessRunner(
      new RecordingLogger(),
      undefined,
      { PATH: process.env.PATH, HOME: home },
      access.roles,
    );
    for (const version of NIX_VERSIONS) {
      const command = version.binDir ? join(version.binDir, 'nix') : 'nix';
      const config = await runNix(runner, { command }, [
        'show-config',
        '--extra-experimental-features',
        'nix-command',
      ]);
      expect(config.stdout, version.label).toMatch(/^access-tokens = .*github\.com=ghp_seen/m);
    }
    const other = await runner.run('sh', ['-c', 'echo "[$GIT_SSH_COMMAND][$NIX_USER_CONF_FILES]"']);
    expect(other.stdout).toBe('[][]\n');
  });
});

describe('userNixConfFiles', () => {
  it('lists the files Nix reads when NIX_USER_CONF_FILES is unset, or the files it names', () => {
    expect(userNixConfFiles({ HOME: '/home/u' })).toEqual([
      '/home/u/.config/nix/nix.conf',
      '/etc/xdg/nix/nix.conf',
    ]);
    expect(userNixConfFiles({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg', XDG_CONFIG_DIRS: '/a:/b' })).toEqual([
      '/cfg/nix/nix.conf',
      '/a/nix/nix.conf',
      '/b/nix/nix.conf',
    ]);
    expect(userNixConfFiles({ NIX_USER_CONF_FILES: '/x.conf:/y.conf' })).toEqual(['/x.conf', '/y.conf']);
  });
});

describe('gitSshCommand', () => {
  it('names the key and known_hosts quoted for the shell git runs it through', () => {
    expect(gitSshCommand("/tmp/it's/id", '/tmp/kh')).toBe(
      "ssh -i '/tmp/it'\\''s/id' -o IdentitiesOnly=yes -o UserKnownHostsFile='/tmp/kh' " +
        '-o StrictHostKeyChecking=yes -o BatchMode=yes',
    );
  });
});

describe('parseAccessTokens', () => {
  it('reads host=token entries one a line or space-separated', () => {
    expect(parseAccessTokens('github.com=ghp_a\n  gitlab.com=PAT:b example.org=c=d\n')).toEqual([
      { host: 'github.com', token: 'ghp_a' },
      { host: 'gitlab.com', token: 'PAT:b' },
      { host: 'example.org', token: 'c=d' },
    ]);
  });

  it('says what is wrong without showing a token', () => {
    expect(parseAccessTokens('ghp_alone')).toEqual({ invalid: 'an entry without "host="' });
    expect(parseAccessTokens('github.com=')).toEqual({
      invalid: 'an entry for "github.com" without a token',
    });
  });
});

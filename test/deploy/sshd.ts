import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { generateKeyPair, type KeyPair } from './support.js';

/** A real OpenSSH server on 127.0.0.1, with throwaway host and user keys, for the ssh health check. */
export interface TestSshd {
  port: number;
  user: string;
  userKey: KeyPair;
  /** known_hosts pinning this server's host key. */
  knownHosts: string;
  /** known_hosts naming this server with some other key, as after a host was replaced. */
  wrongKnownHosts: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(dir: string): Promise<TestSshd> {
  await mkdir(dir, { recursive: true });
  const runner = new SpawnProcessRunner(new RecordingLogger());
  const hostKey = await generateKeyPair(runner, join(dir, 'ssh_host_ed25519_key'), 'flakeflow-test-host');
  const otherHostKey = await generateKeyPair(runner, join(dir, 'other_host_key'), 'flakeflow-other-host');
  const userKey = await generateKeyPair(runner, join(dir, 'id_user'), 'flakeflow-test-user');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, `${userKey.publicKey}\n`);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey.privateKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      // The temp directory is not root-owned 0755 as StrictModes wants.
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      '',
    ].join('\n'),
  );
  // OpenSSH 9.x refuses to start without its privilege separation directory, which the
  // distribution's service unit normally creates.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  for (let attempt = 0; !(await accepts(port)); attempt += 1) {
    if (attempt > 100 || child.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
    await sleep(50);
  }
  const hostPublic = (await readFile(`${hostKey.privateKeyFile}.pub`, 'utf8'))
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const otherPublic = otherHostKey.publicKey.split(' ').slice(0, 2).join(' ');
  return {
    port,
    user: userInfo().username,
    userKey,
    knownHosts: `[127.0.0.1]:${port} ${hostPublic}`,
    wrongKnownHosts: `[127.0.0.1]:${port} ${otherPublic}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

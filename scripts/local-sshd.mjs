// A real OpenSSH server on 127.0.0.1 with throwaway host and user keys and a pinned host key: the one
// the deploy tests (test/deploy/sshd.ts) and the deploy benchmarks (bench/deploy-switch.mjs) start, and
// the one scripts/local-nodes.mjs runs on several addresses, one per node, in its sessions' own /nix.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function runKeygen(file, comment) {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh-keygen failed: ${stderr}`))));
  });
}

/** A fresh ed25519 key pair in `file` and `file.pub`. */
export async function generateKeyPair(file, comment = 'flakeflow-test') {
  await runKeygen(file, comment);
  return {
    privateKeyFile: file,
    privateKey: await readFile(file, 'utf8'),
    publicKey: (await readFile(`${file}.pub`, 'utf8')).trim(),
  };
}

function freePort() {
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

function accepts(port, host) {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The host key's `type base64` part, as known_hosts holds it. */
function keyOf(publicKey) {
  return publicKey.split(' ').slice(0, 2).join(' ');
}

/**
 * Starts sshd in `dir` (its keys, config and `authorized_keys`, which a test may move away to cut
 * new connections) for the user running it. `addresses` it listens on (127.0.0.1 by default; more
 * loopback addresses play more hosts), `forceCommand` runs every session (SSH_ORIGINAL_COMMAND holds
 * what was asked), `netns` starts it inside that network namespace, `home` (a directory) is what its
 * sessions see as the user's home: a separate machine's, without this one's shell startup files.
 */
export async function startSshd(dir, { addresses = ['127.0.0.1'], forceCommand, netns, home } = {}) {
  await mkdir(dir, { recursive: true });
  const hostKey = await generateKeyPair(join(dir, 'ssh_host_ed25519_key'), 'flakeflow-test-host');
  const otherHostKey = await generateKeyPair(join(dir, 'other_host_key'), 'flakeflow-other-host');
  const userKey = await generateKeyPair(join(dir, 'id_user'), 'flakeflow-test-user');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, `${userKey.publicKey}\n`);
  // A port free on the runner's loopback is as good as any inside a fresh network namespace.
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      ...addresses.map((address) => `ListenAddress ${address}`),
      `HostKey ${hostKey.privateKeyFile}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      // The temp directory is not root-owned 0755 as StrictModes wants.
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      // Parallel nodes connect at once; the default (10:30:100) drops some of them at random.
      'MaxStartups 100',
      'MaxSessions 100',
      ...(forceCommand ? [`ForceCommand ${forceCommand}`] : []),
      '',
    ].join('\n'),
  );
  // OpenSSH 9.x refuses to start without its privilege separation directory, which the
  // distribution's service unit normally creates.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', config];
  const ownHome = home
    ? [
        'unshare',
        '-m',
        '--propagation',
        'private',
        '/bin/sh',
        '-c',
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        'own-home',
        home,
        userInfo().homedir,
        ...sshd,
      ]
    : sshd;
  const [command, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...ownHome] : ownHome;
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk.toString('utf8');
  });
  for (let attempt = 0; !(await accepts(port, addresses[0])); attempt += 1) {
    if (attempt > 100 || child.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
    await sleep(50);
  }
  return {
    port,
    user: userInfo().username,
    userKey,
    knownHosts: addresses.map((address) => `[${address}]:${port} ${keyOf(hostKey.publicKey)}`).join('\n'),
    wrongKnownHosts: addresses
      .map((address) => `[${address}]:${port} ${keyOf(otherHostKey.publicKey)}`)
      .join('\n'),
    stop: () => stopChild(child),
  };
}

/** Ends a server started here with SIGTERM and waits for it; at once if it has ended already. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

// Nodes that are really separate, for the deploy tests and benchmarks alike: each node its own /nix
// (store, profiles, /nix/var) and its own /run (so its /run/current-system), seen only by its SSH
// sessions, which run in a private mount namespace (`unshare -m`) where the node's directories are
// bind-mounted over /nix and /run. One sshd plays every node, one address each; the session tells them
// apart by the address dialled (SSH_CONNECTION). Optionally a binary cache on the nodes' side (an HTTP
// server over a `file://` cache, its requests logged) and a network namespace holding the nodes and the
// cache, linked to the runner by a veth pair whose bandwidth a token bucket (`tc … tbf`) limits, as a
// home uplink would. Everything it creates, `stop()` removes. Root only: mounts and namespaces need it.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSshd, stopChild } from './local-sshd.mjs';
import { flakeflowNixSettings } from './nix-settings.mjs';

const run = promisify(execFile);
const CACHE_SERVER = fileURLToPath(new URL('./binary-cache-server.mjs', import.meta.url));
const MIB = 1024 * 1024;

/** Runs `command`, failing with its stderr. */
async function must(command, args, options = {}) {
  try {
    return await run(command, args, { maxBuffer: 64 * MIB, ...options });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed: ${error.stderr || error.message}`);
  }
}

/**
 * The sshd ForceCommand: finds the node dialled, then runs what was asked (or a shell) with the
 * node's environment in a mount namespace where its own directories are /nix and /run.
 */
function sessionScript(addressMap) {
  return [
    '#!/bin/sh',
    `address=\${SSH_CONNECTION#* * }; address=\${address%% *}`,
    `node=$(awk -v a="$address" '$1 == a { print $2 }' ${addressMap})`,
    '[ -n "$node" ] || { echo "no node listens on $address" >&2; exit 255; }',
    '. "$node/session.env"',
    `exec unshare -m --propagation private /bin/sh -c 'mount --bind "$1/nix" /nix && mount --bind "$1/run" /run && cd / && exec /bin/sh -c "$2"' node-session "$node" "\${SSH_ORIGINAL_COMMAND:-exec /bin/sh}"`,
    '',
  ].join('\n');
}

function shellQuote(text) {
  return `'${String(text).replace(/'/g, `'\\''`)}'`;
}

/** What a node's sessions run with: its Nix settings (its substituters among them) and PATH. */
function sessionEnvironment(nodeDir, { substituters, trustedKey, nixBinDir, requireSigs }) {
  const nixConfig = [
    flakeflowNixSettings(),
    `substituters = ${substituters.join(' ')}`,
    ...(trustedKey ? [`trusted-public-keys = ${trustedKey}`] : []),
    ...(requireSigs ? [] : ['require-sigs = false']),
    // A node asks its cache again each time: nothing remembered from a cache of an earlier run.
    'narinfo-cache-negative-ttl = 0',
    'connect-timeout = 5',
  ].join('\n');
  const path = [nixBinDir, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
    .filter(Boolean)
    .join(':');
  return [
    `export NIX_CONFIG=${shellQuote(nixConfig)}`,
    `export PATH=${shellQuote(path)}`,
    // Its own cache of narinfo lookups, as a separate machine has.
    `export XDG_CACHE_HOME=${shellQuote(join(nodeDir, 'home-cache'))}`,
    '',
  ].join('\n');
}

/**
 * Kills what the nodes' sessions left running (a watchdog's wait, a stalled `nix-store`): the
 * processes, in a mount namespace other than this one, that carry a node session's environment
 * (`XDG_CACHE_HOME` under `nodesDir`). Not by their mounts: a namespace made later (another fleet's
 * sshd) holds a copy of every mount there was, a node's tmpfs among them.
 */
async function killNodeSessions(nodesDir) {
  const ownNamespace = await readlink('/proc/self/ns/mnt');
  const sessionMark = `XDG_CACHE_HOME=${nodesDir}/`;
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const namespace = await readlink(`/proc/${pid}/ns/mnt`).catch(() => ownNamespace);
    if (namespace === ownNamespace) continue;
    const environment = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (!environment.split('\0').some((entry) => entry.startsWith(sessionMark))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
}

/** A network namespace holding the nodes, reached from the runner over a veth pair limited to `rate`. */
async function createNetwork(rate) {
  const tag = randomBytes(3).toString('hex');
  const subnet = `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}`;
  const network = {
    netns: `ffnodes-${tag}`,
    runnerLink: `ffr${tag}`,
    nodesLink: `ffn${tag}`,
    runnerAddress: `${subnet}.1`,
    subnet,
  };
  await must('ip', ['netns', 'add', network.netns]);
  const inside = (args) => must('ip', ['netns', 'exec', network.netns, ...args]);
  await must('ip', ['link', 'add', network.runnerLink, 'type', 'veth', 'peer', 'name', network.nodesLink]);
  await must('ip', ['link', 'set', network.nodesLink, 'netns', network.netns]);
  await must('ip', ['addr', 'add', `${network.runnerAddress}/24`, 'dev', network.runnerLink]);
  await must('ip', ['link', 'set', network.runnerLink, 'up']);
  await inside(['ip', 'link', 'set', 'lo', 'up']);
  await inside(['ip', 'link', 'set', network.nodesLink, 'up']);
  if (rate) {
    // Both directions, as a home uplink limits both.
    const tbf = ['root', 'tbf', 'rate', rate, 'burst', '256kb', 'latency', '400ms'];
    await must('tc', ['qdisc', 'add', 'dev', network.runnerLink, ...tbf]);
    await inside(['tc', 'qdisc', 'add', 'dev', network.nodesLink, ...tbf]);
  }
  return network;
}

/** A binary cache in `dir` served over HTTP where the nodes are, every request logged. */
async function startCache(dir, { netns, keyDir }) {
  await mkdir(dir, { recursive: true });
  const key = join(keyDir, 'cache-key');
  await must('nix-store', ['--generate-binary-cache-key', 'flakeflow-test-cache-1', key, `${key}.pub`]);
  const command = [process.execPath, CACHE_SERVER, dir, '127.0.0.1'];
  const [program, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...command] : command;
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests = [];
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the binary cache server exited (${code})`)));
    lines.once('line', (line) => resolve(line.replace('listening ', '')));
  });
  lines.on('line', (line) => requests.push(JSON.parse(line)));
  return {
    dir,
    /** Where the nodes reach it (inside their namespace, when there is one), under a random path. */
    url,
    secretKeyFile: key,
    publicKey: (await readFile(`${key}.pub`, 'utf8')).trim(),
    /** Every request so far: {method, path (below the URL), status, bytes, authorized}. */
    requests: () => [...requests],
    /** Puts `paths` with their closures into the cache, signed, with the runner's Nix. */
    async fill(paths, { env = process.env, compression = 'xz' } = {}) {
      const url = `file://${dir}?secret-key=${key}&compression=${compression}`;
      await must('nix', ['copy', '--to', url, ...paths], { env });
    },
    stop: () => stopChild(child),
  };
}

/**
 * Starts `names.length` separate nodes under `dir`. Options: `cache` (a binary cache on the nodes'
 * side, default true), `netns` (a network namespace for nodes and cache), `uplink` (tc rate of the
 * runner's link to them, e.g. `100mbit`; needs `netns`), `storeLimitMiB` (by node name: its /nix on
 * a tmpfs that small), `nixBinDir` (the Nix the nodes run, before /usr/bin on their PATH),
 * `requireSigs` (default true, as Nix's; false lets a node take unsigned paths over ssh-ng://).
 */
export async function startNodes(dir, names, options = {}) {
  const {
    cache: withCache = true,
    netns: withNetns = false,
    uplink,
    storeLimitMiB = {},
    nixBinDir,
    requireSigs = true,
  } = options;
  await mkdir(dir, { recursive: true });
  const cleanups = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
    await killNodeSessions(join(dir, 'nodes'));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const network = withNetns ? await createNetwork(uplink) : undefined;
    if (network) {
      cleanups.push(async () => {
        // What the nodes' sessions left running (a watchdog's wait) would hold their mounts.
        const { stdout } = await must('ip', ['netns', 'pids', network.netns]);
        for (const pid of stdout.split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {}
        }
        await must('ip', ['netns', 'del', network.netns]);
      });
    }
    const cache = withCache
      ? await startCache(join(dir, 'cache'), { netns: network?.netns, keyDir: dir })
      : undefined;
    if (cache) cleanups.push(cache.stop);

    const addressMap = join(dir, 'node-addresses');
    const nodes = [];
    for (const [index, name] of names.entries()) {
      const address = network ? `${network.subnet}.${10 + index}` : `127.0.0.${2 + index}`;
      const nodeDir = join(dir, 'nodes', name);
      const nixDir = join(nodeDir, 'nix');
      await mkdir(nixDir, { recursive: true });
      const limit = storeLimitMiB[name];
      if (limit !== undefined) {
        await must('mount', ['-t', 'tmpfs', '-o', `size=${limit}m`, 'tmpfs', nixDir]);
        cleanups.push(() => must('umount', ['-l', nixDir]));
      }
      await mkdir(join(nixDir, 'store'), { recursive: true });
      await mkdir(join(nixDir, 'var', 'nix', 'profiles'), { recursive: true });
      await mkdir(join(nodeDir, 'run'), { recursive: true });
      await writeFile(
        join(nodeDir, 'session.env'),
        sessionEnvironment(nodeDir, {
          substituters: cache ? [cache.url] : [],
          trustedKey: cache?.publicKey,
          nixBinDir,
          requireSigs,
        }),
      );
      nodes.push({
        name,
        address,
        dir: nodeDir,
        /** The node's store seen from the runner, for assertions: `nix path-info --store …`. */
        storeUrl: `local?root=${nodeDir}`,
      });
    }
    await writeFile(addressMap, nodes.map((node) => `${node.address} ${node.dir}\n`).join(''));
    const session = join(dir, 'node-session');
    await writeFile(session, sessionScript(addressMap), { mode: 0o755 });
    if (network) {
      for (const node of nodes) {
        await must('ip', [
          'netns',
          'exec',
          network.netns,
          'ip',
          'addr',
          'add',
          `${node.address}/24`,
          'dev',
          network.nodesLink,
        ]);
      }
    }
    // The nodes' root has a home of its own: this machine's shell startup files are not a node's.
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    const sshd = await startSshd(join(dir, 'sshd'), {
      addresses: nodes.map((node) => node.address),
      forceCommand: session,
      home,
      ...(network ? { netns: network.netns } : {}),
    });
    cleanups.push(sshd.stop);

    const sshArgs = (node) => [
      '-i',
      sshd.userKey.privateKeyFile,
      '-p',
      String(sshd.port),
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      `${sshd.user}@${node.address}`,
    ];
    await writeFile(join(dir, 'known_hosts'), `${sshd.knownHosts}\n`);
    const byName = new Map(nodes.map((node) => [node.name, node]));
    const nodeNamed = (name) => {
      const node = byName.get(name);
      if (!node) throw new Error(`no node ${name}`);
      return node;
    };

    return {
      nodes,
      sshd,
      cache,
      network,
      /** The ssh options that reach the nodes (the `ssh-opts` input), besides key and known hosts. */
      sshOpts: `-p ${sshd.port}`,
      /** A known_hosts file pinning the nodes' host key at every address. */
      knownHostsFile: join(dir, 'known_hosts'),
      /** Runs a shell script in a session of node `name`, as a deploy would; never throws for its exit. */
      async run(name, script) {
        try {
          const { stdout, stderr } = await run('ssh', [...sshArgs(nodeNamed(name)), script], {
            maxBuffer: 64 * MIB,
          });
          return { exitCode: 0, stdout, stderr };
        } catch (error) {
          if (typeof error.code !== 'number') throw error;
          return { exitCode: error.code, stdout: error.stdout, stderr: error.stderr };
        }
      },
      /** Which of `paths` node `name`'s own store holds. */
      async validPaths(name, paths) {
        const node = nodeNamed(name);
        const held = [];
        for (const path of paths) {
          const result = await this.run(node.name, `nix-store --check-validity ${shellQuote(path)}`);
          if (result.exitCode === 0) held.push(path);
        }
        return held;
      },
      /** Bytes over the runner's link to the nodes so far (netns only): sent to them, received from them. */
      async linkBytes() {
        if (!network) throw new Error('linkBytes needs the nodes in their own network namespace');
        const read = async (what) =>
          Number(await readFile(`/sys/class/net/${network.runnerLink}/statistics/${what}`, 'utf8'));
        return { sent: await read('tx_bytes'), received: await read('rx_bytes') };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// The switch engine at real size, part of bench/deploy.mjs (`--only real-size`): 12 nodes that are
// really separate (scripts/local-nodes.mjs: each its own /nix and /run, one sshd, all in a network
// namespace whose link from the runner a token bucket limits, as a home uplink would), and a binary
// cache beside them holding the fleet's shared base. Each node's system is generated and deterministic:
// the shared base (SHARED_PATHS paths) plus the node's own part and its switch-to-configuration, which
// takes 1 s. The built bundle deploys them with strategy canary and `parallel: 4`; then a rerun finds
// every node unchanged. Measured: the whole step against the ideal (1 + ⌈11/4⌉) × 1 s, the bytes the
// runner sent over the link, the bytes the nodes fetched from the cache. With `--before BUNDLE` the
// same runs for another build of the action (main's), side by side, in the same sitting. The floor
// beside them: the same fresh nodes fetching the same systems with plain `nix copy` commands,
// `parallel` at a time, no flakeflow and no activation — what this machine needs to move and unpack
// the bytes at all, since here the twelve nodes share the runner's cores and disk.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startNodes } from '../scripts/local-nodes.mjs';
import { flakeflowNixConfig } from '../scripts/nix-settings.mjs';

const NODES = 12;
const PARALLEL = 4;
const SWITCH_S = 1;
const MIB = 1024 * 1024;
const SYSTEM = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux`;
const flag = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const SHARED_MIB = Number(flag('--shared-mib', '512'));
const OWN_MIB = Number(flag('--own-mib', '32'));
/** One table section per uplink: `--uplink 100mbit,1gbit`. */
const UPLINKS = flag('--uplink', '100mbit').split(',');
const SHARED_PATHS = 8;

/** A store path of `bytes` deterministic bytes, told apart by `seed`. */
function blob(name, seed, bytes) {
  const builder = `yes ${seed} | head -c ${bytes} > $out`;
  return `(builtins.derivation { name = "${name}"; system = "${SYSTEM}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(builder)} ]; })`;
}

function toplevel(name) {
  const builder =
    'mkdir -p $out/bin && echo "$shared $own" > $out/closure && { echo "#!/bin/sh"; echo "sleep $seconds"; } > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration';
  return `builtins.derivation { name = "nixos-system-${name}"; system = "${SYSTEM}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(builder)} ]; seconds = "${SWITCH_S}"; shared = builtins.attrValues shared; own = ${blob(`own-${name}`, `own-${name}`, OWN_MIB * MIB)}; }`;
}

async function writeFleet(dir, nodes) {
  await mkdir(dir, { recursive: true });
  const sharedBytes = Math.floor((SHARED_MIB * MIB) / SHARED_PATHS);
  const shared = Array.from({ length: SHARED_PATHS }, (_, index) =>
    blob(`shared-base-${index}`, `shared-${index}`, sharedBytes),
  );
  const entries = nodes.map(
    (node, index) =>
      `${node.name} = { address = "${node.address}"; ssh-user = "root";${index === 0 ? ' tags = [ "canary" ];' : ''} };`,
  );
  await writeFile(
    join(dir, 'flake.nix'),
    [
      '{ outputs = { self }: let',
      `  shared = { ${shared.map((expression, index) => `s${index} = ${expression};`).join(' ')} };`,
      'in {',
      '  inherit shared;',
      `  nixosConfigurations = { ${nodes.map((node) => `${node.name}.config.system.build.toplevel = ${toplevel(node.name)};`).join(' ')} };`,
      `  flakeflow.nodes = { ${entries.join(' ')} };`,
      '}; }',
      '',
    ].join('\n'),
  );
}

function nix(args, env = {}) {
  return new Promise((resolve, reject) =>
    execFile(
      'nix',
      args,
      { env: { ...process.env, NIX_CONFIG: flakeflowNixConfig(), ...env }, maxBuffer: 64 * MIB },
      (error, stdout, stderr) =>
        error ? reject(new Error(`nix ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** Fresh separate nodes behind `uplink`, the fleet written and built, the cache holding the base. */
async function freshFleet(label, uplink, dir) {
  const names = Array.from({ length: NODES }, (_, index) => `host-${String(index + 1).padStart(2, '0')}`);
  const fleet = await startNodes(join(dir, `nodes-${label}`), names, {
    netns: true,
    uplink,
    // main's engine copies over ssh-ng://, where a node requiring signatures refuses the runner's paths.
    requireSigs: false,
  });
  try {
    const workspace = join(dir, `fleet-${label}`);
    await writeFleet(workspace, fleet.nodes);
    // The runner builds the systems before the step, as a hosts job would; the cache holds the base.
    const toplevels = JSON.parse(
      await nix([
        'build',
        '--no-link',
        '--json',
        ...names.map((name) => `${workspace}#nixosConfigurations.${name}.config.system.build.toplevel`),
      ]),
    ).map((entry) => entry.outputs.out);
    const shared = JSON.parse(
      await nix([
        'build',
        '--no-link',
        '--json',
        ...Array.from({ length: SHARED_PATHS }, (_, index) => `${workspace}#shared.s${index}`),
      ]),
    );
    await fleet.cache.fill(
      shared.map((entry) => entry.outputs.out),
      { env: { ...process.env, NIX_CONFIG: flakeflowNixConfig() }, compression: 'none' },
    );
    return { fleet, workspace, toplevels };
  } catch (error) {
    await fleet.stop();
    throw error;
  }
}

/** What moved over the link and out of the cache while `work` ran. */
async function traffic(fleet, work) {
  const sentBefore = (await fleet.linkBytes()).sent;
  const cacheBefore = cacheBytes(fleet);
  const result = await work();
  return {
    result,
    sent: (await fleet.linkBytes()).sent - sentBefore,
    fetched: cacheBytes(fleet) - cacheBefore,
  };
}

/** One deploy and its unchanged rerun by `bundlePath` onto fresh nodes. */
async function measureDeploy(label, bundlePath, uplink, { runStep, dir }) {
  const { fleet, workspace } = await freshFleet(label, uplink, dir);
  try {
    const inputs = {
      strategy: 'canary',
      parallel: String(PARALLEL),
      'known-hosts': fleet.sshd.knownHosts,
      'ssh-private-key': fleet.sshd.userKey.privateKey,
      'ssh-opts': fleet.sshOpts,
      'confirm-timeout': '60',
    };
    const {
      result: first,
      sent,
      fetched,
    } = await traffic(fleet, () => runStep(workspace, inputs, {}, { bundlePath }));
    const statuses = first.report.nodes.map((node) => `${node.node}:${node.status}`);
    if (!first.report.nodes.every((node) => node.status === 'deployed'))
      throw new Error(`${label}: not all deployed: ${statuses.join(' ')} ${first.report.nodes[0]?.message}`);
    const again = await runStep(workspace, inputs, {}, { bundlePath });
    if (!again.report.nodes.every((node) => node.status === 'unchanged'))
      throw new Error(`${label}: rerun changed nodes`);
    process.stderr.write(
      `${label}: step ${(first.stepMs / 1000).toFixed(1)} s, sent ${(sent / MIB).toFixed(0)} MiB, fetched ${(fetched / MIB).toFixed(0)} MiB, rerun ${(again.stepMs / 1000).toFixed(2)} s\n`,
    );
    return { stepMs: first.stepMs, rolloutMs: first.report.durationMs, sent, fetched, rerunMs: again.stepMs };
  } finally {
    await fleet.stop();
  }
}

/**
 * The floor: each node fetches its system as the switch engine has it do (`nix copy
 * --substitute-on-destination` over ssh://), `parallel` at a time, without flakeflow or activation.
 */
async function measureFetchAlone(label, uplink, { dir }) {
  const { fleet, toplevels } = await freshFleet(label, uplink, dir);
  try {
    const sshOptions = [
      '-i',
      fleet.sshd.userKey.privateKeyFile,
      '-o',
      `UserKnownHostsFile=${fleet.knownHostsFile}`,
      '-o',
      'StrictHostKeyChecking=yes',
      ...fleet.sshOpts.split(' '),
    ].join(' ');
    const started = performance.now();
    const queue = fleet.nodes.map((node, index) => [node, toplevels[index]]);
    const copyNext = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [node, toplevel] = next;
        await nix(['copy', '--substitute-on-destination', '--to', `ssh://root@${node.address}`, toplevel], {
          NIX_SSHOPTS: sshOptions,
        });
      }
    };
    const { sent, fetched } = await traffic(fleet, () =>
      Promise.all(Array.from({ length: PARALLEL }, copyNext)),
    );
    const stepMs = performance.now() - started;
    process.stderr.write(`${label}: ${(stepMs / 1000).toFixed(1)} s, sent ${(sent / MIB).toFixed(0)} MiB\n`);
    return { stepMs, sent, fetched };
  } finally {
    await fleet.stop();
  }
}

/** How long `bytes` take over `uplink` (`100mbit`, `1gbit`), as `12.3 s`. */
function linkFloor(bytes, uplink) {
  const [, amount, unit] = /^(\d+(?:\.\d+)?)(k|m|g)bit$/.exec(uplink) ?? [];
  if (amount === undefined) return 'an unknown time';
  const bitsPerSecond = Number(amount) * { k: 1e3, m: 1e6, g: 1e9 }[unit];
  return `${((bytes * 8) / bitsPerSecond).toFixed(1)} s`;
}

function cacheBytes(fleet) {
  return fleet.cache
    .requests()
    .filter((request) => request.method === 'GET' && request.path.startsWith('/nar/'))
    .reduce((sum, request) => sum + request.bytes, 0);
}

/** Each field's median over `samples` (the middle one of an odd count, the lower middle of an even). */
function medians(samples) {
  const middle = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  return Object.fromEntries(Object.keys(samples[0]).map((key) => [key, middle(samples.map((s) => s[key]))]));
}

async function repeated(runs, measureRun) {
  const samples = [];
  for (let run = 0; run < runs; run += 1) samples.push(await measureRun(run));
  return { runs, ...medians(samples) };
}

/**
 * Measures, for each uplink, `before` (another build, when given: `beforeRuns` runs), `after` (this
 * checkout's bundle) and the fetch-alone floor (`runs` runs each), and writes the table between
 * <!-- bench:deploy-real-size --> markers.
 */
export async function mainRealSize({ runStep, writeSection, dir, after, before, runs, beforeRuns = 1 }) {
  const ideal = (1 + Math.ceil((NODES - 1) / PARALLEL)) * SWITCH_S * 1000;
  const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (bytes) => `${(bytes / MIB).toFixed(0)} MiB`;
  const rows = [];
  for (const uplink of UPLINKS) {
    const floor = await repeated(runs, (run) => measureFetchAlone(`floor-${uplink}-${run}`, uplink, { dir }));
    const builds = [
      ...(before ? [['before (main)', before, beforeRuns]] : []),
      ['after (this branch)', after, runs],
    ];
    for (const [label, bundlePath, count] of builds) {
      const row = await repeated(count, (run) =>
        measureDeploy(`${label.split(' ')[0]}-${uplink}-${run}`, bundlePath, uplink, { runStep, dir }),
      );
      rows.push(
        `| ${uplink} | ${label} | ${row.runs} | ${seconds(row.stepMs)} | ${(row.stepMs / ideal).toFixed(1)}× | ` +
          `${seconds(row.stepMs - floor.stepMs)} | ${mib(row.sent)} | ${mib(row.fetched)} | ${seconds(row.rerunMs)} |`,
      );
    }
    rows.push(
      `| ${uplink} | floor: the nodes' fetch alone | ${floor.runs} | ${seconds(floor.stepMs)} | — | — | ${mib(floor.sent)} | ${mib(floor.fetched)} | — |`,
    );
  }
  const section = [
    '<!-- bench:deploy-real-size -->',
    '## deploy: the switch engine at real size (issue #22)',
    '',
    `\`node bench/deploy.mjs --only real-size --runs ${runs} --shared-mib ${SHARED_MIB} --own-mib ${OWN_MIB} --uplink ${UPLINKS.join(',')}\` on ${cpus().length} CPU(s) ` +
      `(load average ${loadavg()[0].toFixed(1)} at the end), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, medians of the runs given, one sitting. ` +
      `${NODES} nodes made by scripts/local-nodes.mjs, each its own /nix, /run and home, in a network namespace behind a veth link limited to the uplink both ways (tc tbf); ` +
      `a binary cache inside it (HTTP, uncompressed NARs) holds the shared base. Each system: ${SHARED_MIB} MiB shared (${SHARED_PATHS} paths) + ${OWN_MIB} MiB its own, ` +
      `switch-to-configuration taking ${SWITCH_S} s; built on the runner before the step; strategy canary, \`parallel: ${PARALLEL}\`. ` +
      'The nodes accept unsigned paths (require-sigs = false): main copies over ssh-ng://, where a node requiring signatures refuses them. ' +
      "Every row's nodes are fresh (empty stores).",
    '',
    '| uplink | build | runs | whole step | vs ideal | step − floor | runner → nodes | nodes ← cache | unchanged rerun |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Ideal: (1 + ⌈11/4⌉) × ${SWITCH_S} s = ${seconds(ideal)}, activations only. What no cache holds: ${NODES} × ${OWN_MIB} MiB = ${NODES * OWN_MIB} MiB plus the small toplevels; ` +
      `everything: ${NODES} × ${SHARED_MIB + OWN_MIB} MiB = ${NODES * (SHARED_MIB + OWN_MIB)} MiB. "runner → nodes" counts every byte on the runner's side of the link (SSH included). ` +
      `The link alone needs ${UPLINKS.map((uplink) => `${linkFloor(NODES * OWN_MIB * MIB, uplink)} at ${uplink}`).join(', ')} for what no cache holds. ` +
      'The floor is the same fresh nodes fetching the same systems with plain `nix copy --substitute-on-destination` commands, `parallel` at a time, no flakeflow, no activation: ' +
      "here the twelve nodes unpack and hash their systems on the runner's own cores, which real nodes do each on their own, so the activation-only ideal cannot be reached on this machine at this size. " +
      '"step − floor" is what the rollout costs beyond moving the bytes: evaluation, reads, activations (the last wave\'s at least), confirmations.',
    '<!-- /bench:deploy-real-size -->',
  ].join('\n');
  await writeSection(section, 'bench:deploy-real-size');
  process.stdout.write(`${section}\n`);
}

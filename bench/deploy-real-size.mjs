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
import { delimiter, join } from 'node:path';
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
/** Each system's size, shared part + its own, in MiB: one table section each, `--sizes 512+32,16+2`. */
const SIZES = flag('--sizes', '512+32')
  .split(',')
  .map((size) => {
    const [sharedMib, ownMib] = size.split('+').map(Number);
    return { sharedMib, ownMib, label: `${sharedMib} + ${ownMib} MiB` };
  });
/** One table section per uplink: `--uplink 100mbit,1gbit`. */
const UPLINKS = flag('--uplink', '100mbit').split(',');
const SHARED_PATHS = 8;

/** A store path of `bytes` deterministic bytes, told apart by `seed`. */
function blob(name, seed, bytes) {
  const builder = `yes ${seed} | head -c ${bytes} > $out`;
  return `(builtins.derivation { name = "${name}"; system = "${SYSTEM}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(builder)} ]; })`;
}

function toplevel(name, size) {
  const builder =
    'mkdir -p $out/bin && echo "$shared $own" > $out/closure && { echo "#!/bin/sh"; echo "sleep $seconds"; } > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration';
  return `builtins.derivation { name = "nixos-system-${name}"; system = "${SYSTEM}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(builder)} ]; seconds = "${SWITCH_S}"; shared = builtins.attrValues shared; own = ${blob(`own-${name}`, `own-${name}`, size.ownMib * MIB)}; }`;
}

/**
 * The fleet flake: `flakeflow.nodes` for the switch engine, or with `deployRs` the same systems as
 * `deploy.nodes` (the engine deploy-rs).
 */
async function writeFleet(dir, nodes, size, { deployRs = false } = {}) {
  await mkdir(dir, { recursive: true });
  const sharedBytes = Math.floor((size.sharedMib * MIB) / SHARED_PATHS);
  const shared = Array.from({ length: SHARED_PATHS }, (_, index) =>
    blob(`shared-base-${index}`, `shared-${index}`, sharedBytes),
  );
  const canary = (index) => (index === 0 ? ' tags = [ "canary" ];' : '');
  const entries = deployRs
    ? nodes.map(
        (node, index) =>
          `${node.name} = { hostname = "${node.address}"; sshUser = "root";${canary(index)} profiles.system = { user = "root"; path = self.nixosConfigurations.${node.name}.config.system.build.toplevel; }; };`,
      )
    : nodes.map(
        (node, index) =>
          `${node.name} = { address = "${node.address}"; ssh-user = "root";${canary(index)} };`,
      );
  await writeFile(
    join(dir, 'flake.nix'),
    [
      '{ outputs = { self }: let',
      `  shared = { ${shared.map((expression, index) => `s${index} = ${expression};`).join(' ')} };`,
      'in {',
      '  inherit shared;',
      `  nixosConfigurations = { ${nodes.map((node) => `${node.name}.config.system.build.toplevel = ${toplevel(node.name, size)};`).join(' ')} };`,
      `  ${deployRs ? 'deploy' : 'flakeflow'}.nodes = { ${entries.join(' ')} };`,
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
async function freshFleet(label, { uplink, size }, dir) {
  const names = Array.from({ length: NODES }, (_, index) => `host-${String(index + 1).padStart(2, '0')}`);
  const fleet = await startNodes(join(dir, `nodes-${label}`), names, {
    netns: true,
    uplink,
    // main's engine copies over ssh-ng://, where a node requiring signatures refuses the runner's paths.
    requireSigs: false,
  });
  try {
    const workspace = join(dir, `fleet-${label}`);
    await writeFleet(workspace, fleet.nodes, size);
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

/**
 * Onto fresh nodes, by `bundlePath`: the engine deploy-rs through its fake (1 s a node, no bytes
 * moved; the nodes are still empty), then the switch engine's deploy, its unchanged rerun, and the
 * deploy-rs engine's unchanged rerun (the nodes now run the targets).
 */
async function measureDeploy(label, bundlePath, setting, { runStep, fakeDeployBin, dir }) {
  const { fleet, workspace } = await freshFleet(label, setting, dir);
  try {
    const deployRsWorkspace = `${workspace}-deploy-rs`;
    await writeFleet(deployRsWorkspace, fleet.nodes, setting.size, { deployRs: true });
    const fakeScript = join(dir, `${label}-fake-deploy.json`);
    await writeFile(fakeScript, JSON.stringify({ latencyMs: SWITCH_S * 1000, log: `${fakeScript}.log` }));
    const deployRsEnv = { PATH: `${await fakeDeployBin(fakeScript)}${delimiter}${process.env.PATH}` };
    const inputs = {
      strategy: 'canary',
      parallel: String(PARALLEL),
      'known-hosts': fleet.sshd.knownHosts,
      'ssh-private-key': fleet.sshd.userKey.privateKey,
      'ssh-opts': fleet.sshOpts,
      'confirm-timeout': '60',
    };
    const expectAll = (step, status, what) => {
      if (
        (step.report.engine ?? what.engine) !== what.engine ||
        !step.report.nodes.every((node) => node.status === status)
      ) {
        const statuses = step.report.nodes.map((node) => `${node.node}:${node.status}`).join(' ');
        throw new Error(`${label}: ${what.name}: not all ${status} by ${step.report.engine}: ${statuses}`);
      }
      return step.stepMs;
    };
    const deployRs = { engine: 'deploy-rs', name: 'deploy-rs engine' };
    const deployRsInputs = { ...inputs, engine: 'deploy-rs', 'skip-checks': 'true' };
    const deployRsMs = expectAll(
      await runStep(deployRsWorkspace, deployRsInputs, deployRsEnv, { bundlePath }),
      'deployed',
      deployRs,
    );
    const {
      result: first,
      sent,
      fetched,
    } = await traffic(fleet, () => runStep(workspace, inputs, {}, { bundlePath }));
    const switchEngine = { engine: 'switch', name: 'switch engine' };
    expectAll(first, 'deployed', switchEngine);
    const rerunMs = expectAll(
      await runStep(workspace, inputs, {}, { bundlePath }),
      'unchanged',
      switchEngine,
    );
    const deployRsRerunMs = expectAll(
      await runStep(deployRsWorkspace, deployRsInputs, deployRsEnv, { bundlePath }),
      'unchanged',
      deployRs,
    );
    process.stderr.write(
      `${label}: step ${(first.stepMs / 1000).toFixed(1)} s, sent ${(sent / MIB).toFixed(0)} MiB, fetched ${(fetched / MIB).toFixed(0)} MiB, ` +
        `rerun ${(rerunMs / 1000).toFixed(2)} s; deploy-rs engine ${(deployRsMs / 1000).toFixed(1)} s, rerun ${(deployRsRerunMs / 1000).toFixed(2)} s\n`,
    );
    return { stepMs: first.stepMs, sent, fetched, rerunMs, deployRsMs, deployRsRerunMs };
  } finally {
    await fleet.stop();
  }
}

/**
 * The floor: each node fetches its system as the switch engine has it do (`nix copy
 * --substitute-on-destination` over ssh://), `parallel` at a time, without flakeflow or activation.
 */
async function measureFetchAlone(label, setting, { dir }) {
  const { fleet, toplevels } = await freshFleet(label, setting, dir);
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
    const queue = fleet.nodes.map((node, index) => [node, toplevels[index]]);
    const copyNext = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [node, toplevel] = next;
        await nix(['copy', '--substitute-on-destination', '--to', `ssh://root@${node.address}`, toplevel], {
          NIX_SSHOPTS: sshOptions,
        });
      }
    };
    const started = performance.now();
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
 * Measures, for each size and uplink, `before` (another build, when given: `beforeRuns` runs),
 * `after` (this checkout's bundle) and the fetch-alone floor (`runs` runs each), and writes the
 * table between <!-- bench:deploy-real-size --> markers. `runStep` and `fakeDeployBin` are
 * bench/deploy.mjs's.
 */
export async function mainRealSize({
  runStep,
  fakeDeployBin,
  writeSection,
  dir,
  after,
  before,
  runs,
  beforeRuns = 1,
}) {
  const ideal = (1 + Math.ceil((NODES - 1) / PARALLEL)) * SWITCH_S * 1000;
  const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (bytes) => `${(bytes / MIB).toFixed(0)} MiB`;
  const vsIdeal = (ms) => `${(ms / ideal).toFixed(1)}×`;
  const rows = [];
  for (const size of SIZES) {
    for (const uplink of UPLINKS) {
      const setting = { size, uplink };
      const tag = `${size.sharedMib}+${size.ownMib}-${uplink}`;
      const floor = await repeated(runs, (run) => measureFetchAlone(`floor-${tag}-${run}`, setting, { dir }));
      const builds = [...(before ? [['before', before, beforeRuns]] : []), ['after', after, runs]];
      for (const [label, bundlePath, count] of builds) {
        const row = await repeated(count, (run) =>
          measureDeploy(`${label}-${tag}-${run}`, bundlePath, setting, { runStep, fakeDeployBin, dir }),
        );
        const where = `| ${size.label} | ${uplink} | ${label} | ${row.runs}`;
        rows.push(
          `${where} | switch | ${seconds(row.stepMs)} | ${vsIdeal(row.stepMs)} | ${seconds(row.stepMs - floor.stepMs)} | ` +
            `${mib(row.sent)} | ${mib(row.fetched)} | ${seconds(row.rerunMs)} |`,
          `${where} | deploy-rs (fake: no bytes) | ${seconds(row.deployRsMs)} | ${vsIdeal(row.deployRsMs)} | — | — | — | ${seconds(row.deployRsRerunMs)} |`,
        );
      }
      rows.push(
        `| ${size.label} | ${uplink} | floor | ${floor.runs} | the nodes' fetch alone | ${seconds(floor.stepMs)} | — | — | ${mib(floor.sent)} | ${mib(floor.fetched)} | — |`,
      );
    }
  }
  const command =
    `node bench/deploy.mjs --only real-size --runs ${runs}${before ? ` --before <main's dist/deploy/index.js> --before-runs ${beforeRuns}` : ''} ` +
    `--sizes ${SIZES.map((size) => `${size.sharedMib}+${size.ownMib}`).join(',')} --uplink ${UPLINKS.join(',')}`;
  const section = [
    '<!-- bench:deploy-real-size -->',
    '## deploy: the switch engine at real size (issue #22)',
    '',
    `\`${command}\` on ${cpus().length} CPU(s) (load average ${loadavg()[0].toFixed(1)} at the end), Node ${process.version}, ` +
      `${new Date().toISOString().slice(0, 10)}, medians of the runs given, one sitting. ` +
      `${NODES} nodes made by scripts/local-nodes.mjs, each its own /nix, /run and home, in a network namespace behind a veth link limited to the uplink both ways (tc tbf); ` +
      `a binary cache inside it (HTTP, uncompressed NARs) holds the shared base. Each system: the shared part (${SHARED_PATHS} paths) + its own part, ` +
      `switch-to-configuration taking ${SWITCH_S} s; built on the runner before the step; strategy canary, \`parallel: ${PARALLEL}\`. ` +
      'The nodes accept unsigned paths (require-sigs = false): main copies over ssh-ng://, where a node requiring signatures refuses them. ' +
      "Every run's nodes are fresh (empty stores). The engine deploy-rs runs through its fake (1 s a node, moving no bytes) onto the same fresh nodes, " +
      "its unchanged rerun after the switch engine's deploy (the nodes then run their targets).",
    '',
    '| system | uplink | build | runs | engine | whole step | vs ideal | step − floor | runner → nodes | nodes ← cache | unchanged rerun |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Ideal: (1 + ⌈11/4⌉) × ${SWITCH_S} s = ${seconds(ideal)}, activations only. What no cache holds: ${NODES} × the own part plus the small toplevels ` +
      `(${SIZES.map((size) => `${NODES * size.ownMib} MiB at ${size.label}`).join(', ')}); the link alone needs ` +
      `${SIZES.flatMap((size) => UPLINKS.map((uplink) => `${linkFloor(NODES * size.ownMib * MIB, uplink)} for it at ${size.label} and ${uplink}`)).join(', ')}. ` +
      '"runner → nodes" counts every byte on the runner\'s side of the link (SSH included). ' +
      'The floor is the same fresh nodes fetching the same systems with plain `nix copy --substitute-on-destination` commands, `parallel` at a time, no flakeflow, no activation: ' +
      "here the twelve nodes unpack and hash their systems on the runner's own two cores, which real nodes do each on their own, so at real size the activation-only ideal cannot be reached on this machine. " +
      '"step − floor" is what the rollout costs beyond moving the bytes: evaluation, reads, activations (the last wave\'s at least), confirmations.',
    '<!-- /bench:deploy-real-size -->',
  ].join('\n');
  await writeSection(section, 'bench:deploy-real-size');
  process.stdout.write(`${section}\n`);
}

// The switch engine's part of bench/deploy.mjs (run through it): 12 NixOS hosts made of
// `builtins.derivation`s whose switch-to-configuration takes 1 s, deployed by the built bundle over a
// real sshd on 127.0.0.1 (throwaway keys, pinned host key) with `parallel: 4` and strategy canary, each
// node with its own profile in a temp dir. Compared with the ideal (1 + ceil(11/4)) × 1 s: the rest is
// the engine's own work (before the first wave: evaluate, read every node, one nix build; per node:
// nix copy and the activating ssh over a shared connection, a health-free confirmation over a new ssh).
// Then a rerun where every node already runs its target.
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startSshd } from '../scripts/local-sshd.mjs';
import { flakeflowNixConfig } from '../scripts/nix-settings.mjs';

const NODES = 12;
const SWITCH_MS = 1_000;
const PARALLEL = 4;
const SYSTEM = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux`;

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NIX_CONFIG: flakeflowNixConfig() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)),
    );
  });
}

function system(name, release) {
  const script = `sleep ${SWITCH_MS / 1000}`;
  const builder =
    'mkdir -p $out/bin && { echo "#!/bin/sh"; printf "%s\\n" "$script"; } > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration';
  return `builtins.derivation { name = "nixos-system-${name}-${release}"; system = "${SYSTEM}"; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(builder)} ]; script = ${JSON.stringify(script)}; }`;
}

async function writeSwitchFleet(dir, names) {
  await mkdir(dir, { recursive: true });
  const nodes = names.map(
    (name, index) =>
      `${name} = { address = "127.0.0.1"; profile = "${join(dir, 'nodes', name)}"; current-system = "${join(dir, 'nodes', `${name}-current`)}";${index === 0 ? ' tags = [ "canary" ];' : ''} };`,
  );
  await writeFile(
    join(dir, 'flake.nix'),
    [
      '{ outputs = { self }: {',
      `  nixosConfigurations = { ${names.map((name) => `${name}.config.system.build.toplevel = ${system(name, 1)};`).join(' ')} };`,
      `  previous = { ${names.map((name) => `${name} = ${system(name, 0)};`).join(' ')} };`,
      `  flakeflow.nodes = { ${nodes.join(' ')} };`,
      '}; }',
      '',
    ].join('\n'),
  );
  await mkdir(join(dir, 'nodes'), { recursive: true });
}

/** Puts every node back on its release 0, so the next deploy switches all of them. */
async function resetNodes(dir, names) {
  const built = JSON.parse(
    await run('nix', ['build', '--no-link', '--json', ...names.map((name) => `${dir}#previous.${name}`)]),
  );
  for (const [index, name] of names.entries()) {
    await run('nix-env', ['-p', join(dir, 'nodes', name), '--set', built[index].outputs.out]);
  }
}

/**
 * Measures the switch engine; `runStep` and `writeSection` are bench/deploy.mjs's. Returns the section
 * written between <!-- bench:deploy-switch --> markers.
 */
export async function mainSwitch({ runStep, writeSection, runs, dir }) {
  // The nodes' root has a home of its own: this machine's shell startup files are not a node's.
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  const sshd = await startSshd(join(dir, 'sshd'), { home });
  try {
    const workspace = join(dir, 'switch-fleet');
    const names = Array.from({ length: NODES }, (_, index) => `host-${String(index + 1).padStart(2, '0')}`);
    await writeSwitchFleet(workspace, names);
    const inputs = {
      strategy: 'canary',
      parallel: String(PARALLEL),
      'known-hosts': sshd.knownHosts,
      'ssh-private-key': sshd.userKey.privateKey,
      'ssh-opts': `-p ${sshd.port}`,
      'confirm-timeout': '10',
    };
    const samples = [];
    let rerun;
    for (let index = 0; index < runs; index += 1) {
      await resetNodes(workspace, names);
      const { stepMs, report } = await runStep(workspace, inputs, {});
      const statuses = new Set(report.nodes.map((node) => node.status));
      if (statuses.size !== 1 || !statuses.has('deployed'))
        throw new Error(`not all deployed: ${[...statuses]}`);
      const nodeMs = report.nodes.map((node) => node.durationMs).sort((a, b) => a - b);
      samples.push({ stepMs, rolloutMs: report.durationMs, nodeMs: nodeMs[Math.floor(nodeMs.length / 2)] });
      process.stderr.write(`switch run ${index + 1}: rollout ${(report.durationMs / 1000).toFixed(2)} s\n`);
      const again = await runStep(workspace, inputs, {});
      if (!again.report.nodes.every((node) => node.status === 'unchanged'))
        throw new Error('rerun changed nodes');
      rerun ??= [];
      rerun.push({ stepMs: again.stepMs, rolloutMs: again.report.durationMs });
    }
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const rounds = 1 + Math.ceil((NODES - 1) / PARALLEL);
    const ideal = rounds * SWITCH_MS;
    const rolloutMs = median(samples.map((sample) => sample.rolloutMs));
    const nodeMs = median(samples.map((sample) => sample.nodeMs));
    const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
    const stepMs = median(samples.map((sample) => sample.stepMs));
    const rerunStepMs = median(rerun.map((sample) => sample.stepMs));
    const rerunRolloutMs = median(rerun.map((sample) => sample.rolloutMs));
    const section = [
      '<!-- bench:deploy-switch -->',
      '## deploy: the switch engine',
      '',
      `\`node bench/deploy.mjs --only switch\` on ${cpus().length} CPU(s) (load average ${loadavg()[0].toFixed(1)} at the end), ` +
        `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}: ${NODES} NixOS hosts over a real sshd on 127.0.0.1, ` +
        `switch-to-configuration taking ${SWITCH_MS / 1000} s, strategy canary, \`parallel: ${PARALLEL}\`, median of ${runs} runs of the built bundle. ` +
        'Before the first wave the step evaluates the fleet (which engine and the nodes in one evaluation, then only the ' +
        'selected toplevels, while it reads what every node runs: one ssh each, 16 at once) and builds the changed ' +
        'toplevels in one `nix build`. ' +
        'Then per node: `nix copy` (ssh://; a no-op here, same store) and the activation under a watchdog over one shared ' +
        'ssh connection, and the confirmation over a new one.',
      '',
      '| run | ideal | whole step | overhead vs ideal | before the first wave | rollout (the waves) | median node |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| all ${NODES} switched | ${seconds(ideal)} | ${seconds(stepMs)} | ${seconds(stepMs - ideal)} (${(((stepMs - ideal) / ideal) * 100).toFixed(0)} %) | ${seconds(stepMs - rolloutMs)} | ${seconds(rolloutMs)} | ${seconds(nodeMs)} |`,
      `| rerun, all ${NODES} unchanged | 0.00 s | ${seconds(rerunStepMs)} | — | ${seconds(rerunStepMs - rerunRolloutMs)} | ${seconds(rerunRolloutMs)} | — |`,
      '',
      `Ideal: (1 + ⌈11/4⌉) × ${SWITCH_MS / 1000} s = ${seconds(ideal)} of activation on the critical path. In the waves ` +
        `${rounds} nodes follow one another, each with the engine's fixed cost per node (${seconds(nodeMs - SWITCH_MS)} here: ` +
        'a nix copy, the activating ssh over the shared connection, a new ssh to confirm). "Before the first wave" includes ' +
        "starting the bundle. The sshd gives the nodes' root a home of its own (until 2026-12-06 every remote command here also ran this machine's root shell startup files, pyenv's init among them: about 0.12 s of CPU per ssh session).",
      '<!-- /bench:deploy-switch -->',
    ].join('\n');
    await writeSection(section, 'bench:deploy-switch');
    process.stdout.write(`${section}\n`);
  } finally {
    await sshd.stop();
    await rm(join(dir, 'sshd'), { recursive: true, force: true });
  }
}

import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';

/** How a test system's `bin/switch-to-configuration` behaves once it recorded its call. */
export type SwitchMode = 'ok' | 'fail' | 'hang' | 'cut' | 'drop';

export interface SwitchHost {
  name: string;
  mode?: SwitchMode;
  /** Changes the system's store path: a new "release" of the host. */
  release?: number;
  /** The kernel version its `kernel`, `initrd` and `kernel-modules` links name (default 6.6). */
  kernel?: string;
  /** A shell condition the switch waits for (20 s at most, else it fails) before it ends as `mode` says. */
  waitUntil?: string;
  /** A Nix expression that stands for its system instead and does not evaluate, e.g. a `throw`. */
  unevaluable?: string;
}

/** What every host's system holds in common: a store path of `sizeKiB` KiB the systems refer to. */
export interface SharedBase {
  name: string;
  sizeKiB: number;
}

export interface SwitchFleet {
  dir: string;
  /** Where every switch-to-configuration call is appended: `<system path> <action>`. */
  record: string;
  /** The authorized_keys file a `cut` switch moves away, as a switch that breaks the network would. */
  authorizedKeys: string;
}

/**
 * A switch-to-configuration that records what it was asked, then succeeds, fails, hangs, cuts new
 * SSH connections (moves authorized_keys away) or drops its own SSH session.
 */
function switchScript(mode: SwitchMode, record: string, authorizedKeys: string): string {
  const endings: Record<SwitchMode, string> = {
    ok: 'echo "switched to $self ($1)"; exit 0',
    fail: 'echo "Failed to start nginx.service" >&2; exit 1',
    hang: 'sleep 600',
    cut: `[ "$1" = switch ] && mv ${authorizedKeys} ${authorizedKeys}.cut; exit 0`,
    drop: [
      'p=$PPID',
      'while [ "$p" -gt 1 ]; do',
      '  if [ "$(cat /proc/$p/comm)" = sshd ]; then kill -9 "$p"; break; fi',
      "  p=$(awk '{print $4}' /proc/$p/stat)",
      'done',
      'sleep 1; exit 0',
    ].join('\n'),
  };
  return [`echo "$self $1" >> ${record}`, endings[mode]].join('\n');
}

/** Waits up to 20 s for `condition`, else fails the switch saying so. */
function waitScript(condition: string): string {
  return [
    'waited=0',
    `until ${condition}; do`,
    '  waited=$((waited + 1))',
    `  [ "$waited" -le 200 ] || { echo "waited in vain for: ${condition.replace(/"/g, '\\"')}" >&2; exit 1; }`,
    '  sleep 0.1',
    'done',
  ].join('\n');
}

/** The runner's Nix system: flakes evaluate purely, without builtins.currentSystem. */
const NIX_SYSTEM = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-${process.platform === 'darwin' ? 'darwin' : 'linux'}`;

function nixString(text: string): string {
  return JSON.stringify(text).replace(/\$\{/g, '\\${');
}

/** The shared base: deterministic bytes, so every node's copy is the same path. */
function baseExpression(base: SharedBase): string {
  return `builtins.derivation {
        name = ${nixString(base.name)};
        system = ${nixString(NIX_SYSTEM)};
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        args = [ "-c" ${nixString(`head -c ${base.sizeKiB * 1024} /dev/zero | tr '\\0' x > $out`)} ];
      }`;
}

function systemExpression(host: SwitchHost, fleet: Omit<SwitchFleet, 'dir'>, base?: SharedBase): string {
  const mode = host.mode ?? 'ok';
  const linux = `/nix/store/${'0'.repeat(32)}-linux-${host.kernel ?? '6.6'}`;
  const builder = [
    'mkdir -p $out/bin',
    ...(base ? ['ln -s $base $out/base'] : []),
    `ln -s ${linux}/bzImage $out/kernel && ln -s ${linux}-initrd/initrd $out/initrd`,
    `ln -s ${linux}-modules/lib $out/kernel-modules`,
    '{ echo "#!/bin/sh"; echo "self=$out"; printf "%s\\n" "$script"; } > $out/bin/switch-to-configuration',
    'chmod +x $out/bin/switch-to-configuration',
  ].join(' && ');
  return `builtins.derivation {
        name = ${nixString(`nixos-system-${host.name}-${host.release ?? 1}-${mode}-${host.kernel ?? '6.6'}`)};
        system = ${nixString(NIX_SYSTEM)};
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        args = [ "-c" ${nixString(builder)} ];
        script = ${nixString([...(host.waitUntil ? [waitScript(host.waitUntil)] : []), switchScript(mode, fleet.record, fleet.authorizedKeys)].join('\n'))};${
          base
            ? `
        base = ${baseExpression(base)};`
            : ''
        }
      }`;
}

/**
 * A flake with no `deploy` output: NixOS hosts whose toplevel is a `builtins.derivation`, and under
 * `previous.<host>` the system each node runs before the test deploys.
 */
export async function writeSwitchFleet(
  dir: string,
  hosts: readonly SwitchHost[],
  options: {
    authorizedKeys: string;
    flakeNodes?: string;
    previous?: readonly SwitchHost[];
    extraOutputs?: string;
    /** A path every host's system refers to, buildable alone as the flake's `base`. */
    base?: SharedBase;
  },
): Promise<SwitchFleet> {
  await mkdir(dir, { recursive: true });
  const fleet = { record: join(dir, 'switch-calls.log'), authorizedKeys: options.authorizedKeys };
  await writeFile(fleet.record, '');
  const configurations = hosts.map(
    (host) =>
      `    ${JSON.stringify(host.name)}.config.system.build.toplevel = ${host.unevaluable ?? systemExpression(host, fleet, options.base)};`,
  );
  const previous = (options.previous ?? hosts.map((host) => ({ name: host.name, release: 0 }))).map(
    (host) => `    ${JSON.stringify(host.name)} = ${systemExpression(host, fleet)};`,
  );
  await writeFile(
    join(dir, 'flake.nix'),
    [
      '{',
      '  outputs = { self }: {',
      '  nixosConfigurations = {',
      ...configurations,
      '  };',
      '  previous = {',
      ...previous,
      '  };',
      ...(options.flakeNodes ? [`  flakeflow.nodes = ${options.flakeNodes};`] : []),
      ...(options.base ? [`  base = ${baseExpression(options.base)};`] : []),
      ...(options.extraOutputs ? [options.extraOutputs] : []),
      '  };',
      '}',
      '',
    ].join('\n'),
  );
  return { dir, ...fleet };
}

const runner = new SpawnProcessRunner(new RecordingLogger());

/** Builds `attribute` of the flake and returns its store path. */
export async function buildAttribute(flakeDir: string, attribute: string): Promise<string> {
  const result = await runner.run('nix', ['build', '--no-link', '--json', `${flakeDir}#${attribute}`]);
  if (result.exitCode !== 0) throw new Error(`nix build ${attribute} failed: ${result.stderr}`);
  const [built] = JSON.parse(result.stdout) as [{ outputs: { out: string } }];
  return built.outputs.out;
}

/** Puts `path` into `profile` as a new generation, as an earlier deploy would have. */
export async function setProfile(profile: string, path: string): Promise<void> {
  const result = await runner.run('nix-env', ['-p', profile, '--set', path]);
  if (result.exitCode !== 0) throw new Error(`nix-env --set failed: ${result.stderr}`);
}

/** The store path the profile points at now, and its generation link. */
export async function profileState(profile: string): Promise<{ path: string; link: string }> {
  const link = await readlink(profile);
  const path = await readlink(join(profile, '..', link));
  return { path, link };
}

/** The recorded switch-to-configuration calls, as `[system path, action]` pairs. */
export async function switchCalls(fleet: SwitchFleet): Promise<[string, string][]> {
  return (await readFile(fleet.record, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string]);
}

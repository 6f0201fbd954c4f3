import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { RecordingLogger } from '../core/logger.js';
import { type ProcessRunner, SpawnProcessRunner } from '../core/process.js';
import { buildAttrPath, examplesDir, type FleetHost, type HostKind } from './fleet.js';
import { commitAll, initRepository } from './git-repo.js';

export interface GenerateFleetOptions {
  runner?: ProcessRunner;
  /** Make the fleet a git repository with one commit, as real fleets are (default true). */
  git?: boolean;
  /**
   * Memory each host holds once evaluated, in MiB (default 0): a list kept reachable from the host's
   * configuration, as a real NixOS evaluation keeps its own, so one evaluator grows with the fleet.
   */
  heldMiB?: number;
}

export interface GeneratedFleet {
  flakeDir: string;
  hosts: readonly FleetHost[];
}

interface GeneratedHost extends FleetHost {
  /** The host's directory under hosts/, also the host name without a user. */
  dirName: string;
  module: string;
}

/**
 * Writes a fleet flake of `hostCount` hosts to `targetDir`: per ten hosts, six x86_64 NixOS
 * servers, two aarch64 NixOS boards, one nix-darwin Mac and one Home Manager workstation. Every
 * NixOS host is a deploy node; the first is the canary. It has no inputs and reuses the example
 * fleet's nix/examples/homelab/lib, so it evaluates and builds offline.
 */
export async function generateFleet(
  targetDir: string,
  hostCount: number,
  options: GenerateFleetOptions = {},
): Promise<GeneratedFleet> {
  if (!Number.isInteger(hostCount) || hostCount < 1) throw new UserError('a fleet needs at least one host');
  const flakeDir = resolve(targetDir);
  await mkdir(flakeDir, { recursive: true });
  if ((await readdir(flakeDir)).length > 0) throw new UserError(`${flakeDir} is not empty`);

  const hosts = Array.from({ length: hostCount }, (_, index) => generatedHost(index, hostCount));
  await cp(join(examplesDir(), 'generated'), flakeDir, { recursive: true });
  await cp(join(examplesDir(), 'homelab', 'lib'), join(flakeDir, 'lib'), { recursive: true });
  for (const module of ['common.nix', 'backups.nix']) {
    await cp(join(examplesDir(), 'homelab', 'modules', module), join(flakeDir, 'modules', module));
  }
  for (const host of hosts) {
    await mkdir(join(flakeDir, 'hosts', host.dirName), { recursive: true });
    await writeFile(join(flakeDir, 'hosts', host.dirName, 'default.nix'), host.module);
  }
  await writeFile(join(flakeDir, 'hosts.nix'), hostsTable(hosts, ballastItems(options.heldMiB ?? 0)));

  if (options.git ?? true) {
    const runner = options.runner ?? new SpawnProcessRunner(new RecordingLogger());
    await initRepository(runner, flakeDir);
    await commitAll(runner, flakeDir, `Fleet of ${hostCount} hosts`);
  }
  return { flakeDir, hosts: hosts.map(({ dirName: _dir, module: _module, ...host }) => host) };
}

function generatedHost(index: number, hostCount: number): GeneratedHost {
  const number = String(index + 1).padStart(Math.max(3, String(hostCount).length), '0');
  const slot = index % 10;
  if (slot < 8) {
    const arm = slot >= 6;
    const name = `${arm ? 'arm' : 'srv'}-${number}`;
    const system = arm ? 'aarch64-linux' : 'x86_64-linux';
    const deploy =
      index === 0
        ? { tags: ['canary', 'servers'], wave: 1 }
        : { tags: arm ? ['edge', 'arm'] : ['servers'], wave: 2 + (index % 3) };
    return hostEntry(name, name, 'nixos', system, nixosModule(name, system, index % 2 === 0), deploy);
  }
  if (slot === 8) {
    const name = `mac-${number}`;
    const system = Math.floor(index / 10) % 2 === 0 ? 'aarch64-darwin' : 'x86_64-darwin';
    return hostEntry(name, name, 'darwin', system, darwinModule(name, system));
  }
  const dirName = `ws-${number}`;
  return hostEntry(`dev@${dirName}`, dirName, 'home-manager', 'x86_64-linux', homeModule());
}

function hostEntry(
  name: string,
  dirName: string,
  kind: HostKind,
  system: string,
  module: string,
  deploy?: FleetHost['deploy'],
): GeneratedHost {
  return {
    name,
    dirName,
    kind,
    system,
    module,
    buildAttrPath: buildAttrPath(kind, name),
    ...(deploy ? { deploy } : {}),
  };
}

function nixosModule(name: string, system: string, backedUp: boolean): string {
  const backup = backedUp
    ? `\n  services.postgresql.enable = true;\n  homelab.backups.postgresql.paths = [ "/var/backup/postgresql" ];\n`
    : '';
  return `{ ... }:
{
  imports = [
    ../../modules/common.nix
    ../../modules/backups.nix
  ];

  nixpkgs.hostPlatform = "${system}";
  networking.hostName = "${name}";
  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };
${backup}}
`;
}

function darwinModule(name: string, system: string): string {
  return `{ ... }:
{
  nixpkgs.hostPlatform = "${system}";
  networking.hostName = "${name}";
  homebrew.casks = [ "firefox" ];
  system.stateVersion = 5;
}
`;
}

function homeModule(): string {
  return `{ ... }:
{
  home.username = "dev";
  home.homeDirectory = "/home/dev";
  home.stateVersion = "24.05";
  programs.git.enable = true;
}
`;
}

/** Blocks of 1024 list elements (8 bytes each) per MiB a host holds (see nix/examples/generated/flake.nix). */
const BALLAST_BLOCKS_PER_MIB = 128;

function ballastItems(heldMiB: number): number {
  if (!(heldMiB >= 0)) throw new UserError('heldMiB must be a number of MiB, 0 or more');
  return Math.round(heldMiB * BALLAST_BLOCKS_PER_MIB);
}

function hostsTable(hosts: readonly GeneratedHost[], ballast: number): string {
  const entries = hosts.map((host) => {
    const fields = [
      `kind = "${host.kind}";`,
      `system = "${host.system}";`,
      `module = ./hosts/${host.dirName};`,
      ...(ballast > 0 ? [`ballast = ${ballast};`] : []),
    ];
    if (host.deploy) {
      fields.push(
        `tags = [ ${host.deploy.tags.map((tag) => `"${tag}"`).join(' ')} ];`,
        `wave = ${host.deploy.wave};`,
      );
    }
    return `  "${host.name}" = {\n${fields.map((field) => `    ${field}`).join('\n')}\n  };`;
  });
  return `# Written by generateFleet (src/demo/generate-fleet.ts).\n{\n${entries.join('\n')}\n}\n`;
}

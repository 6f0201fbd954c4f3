import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SpawnProcessRunner } from '../../src/core/process.js';
import {
  advanceInput,
  EXAMPLE_HOSTS,
  type ExampleFleet,
  materializeExampleFleet,
} from '../../src/demo/example-fleet.js';
import { git } from '../../src/demo/git-repo.js';
import { type FlakeLockFile, installable, type NixCli } from '../../src/nix/cli.js';
import { NixError } from '../../src/nix/errors.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

let nix: NixCli;
let runner: SpawnProcessRunner;
let tempDir: string;
let fleetCount = 0;

beforeAll(async () => {
  ({ nix, runner } = await requireNix());
  tempDir = await makeTempDir('example-fleet');
});
afterAll(() => removeTempDir(tempDir));

function newFleet(): Promise<ExampleFleet> {
  fleetCount += 1;
  return materializeExampleFleet(join(tempDir, `fleet-${fleetCount}`), { runner, nix });
}

async function readLock(fleet: ExampleFleet): Promise<FlakeLockFile> {
  return JSON.parse(await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8')) as FlakeLockFile;
}

const lockedRev = (lock: FlakeLockFile, input: string) => lock.nodes[input]?.locked?.rev;

function toplevelDrv(fleet: ExampleFleet, hostName: string): Promise<string> {
  const host = EXAMPLE_HOSTS.find((candidate) => candidate.name === hostName)!;
  return nix.evalJson<string>(`${installable(fleet.flakeDir, host.buildAttrPath)}.drvPath`);
}

describeEachVersion(NIX_VERSIONS, 'the materialized example fleet', () => {
  // NixCli remembers the version it met; each version gets its own.
  beforeAll(async () => {
    ({ nix, runner } = await requireNix());
  });
  let fleet: ExampleFleet;
  beforeAll(async () => {
    fleet = await newFleet();
  });

  it('is a clean git repository whose committed flake.lock pins both inputs', async () => {
    expect(await git(runner, fleet.flakeDir, ['status', '--porcelain'])).toBe('');
    const lock = await readLock(fleet);
    expect(lockedRev(lock, 'secrets')).toBe(fleet.inputs.secrets.initialRev);
    expect(lockedRev(lock, 'dotfiles')).toBe(fleet.inputs.dotfiles.initialRev);
    expect(lock.nodes.dotfiles?.inputs).toEqual({ secrets: ['secrets'] });
    expect(lock.nodes.secrets?.locked?.url).toBe(fleet.inputs.secrets.url.replace(/^git\+/, ''));
    const flakeNix = await readFile(join(fleet.flakeDir, 'flake.nix'), 'utf8');
    expect(flakeNix).toContain(`url = "${fleet.inputs.dotfiles.url}";`);
    expect(flakeNix).not.toContain('flakeflow-example-inputs');
  });

  it('commits the same content as the same revision every time', async () => {
    const again = await newFleet();
    expect(again.inputs.secrets.initialRev).toBe(fleet.inputs.secrets.initialRev);
    // dotfiles' flake.nix names secrets by its absolute path, which differs between the two.
    expect(again.inputs.dotfiles.initialRev).not.toBe(fleet.inputs.dotfiles.initialRev);
  });

  it('evaluates every NixOS host with its name and platform', async () => {
    const hosts = await nix.evalJson<Record<string, { hostName: string; system: string; platform: string }>>(
      `${fleet.flakeDir}#nixosConfigurations`,
      {
        apply: `hosts: builtins.mapAttrs (_: host: {
          hostName = host.config.networking.hostName;
          system = host.pkgs.stdenv.hostPlatform.system;
          platform = host.config.nixpkgs.hostPlatform.system;
        }) hosts`,
      },
    );
    const expected = EXAMPLE_HOSTS.filter((host) => host.kind === 'nixos');
    expect(Object.keys(hosts).sort()).toEqual(expected.map((host) => host.name).sort());
    for (const host of expected) {
      expect(hosts[host.name]).toEqual({ hostName: host.name, system: host.system, platform: host.system });
    }
  });

  it('evaluates the nix-darwin laptop and the Home Manager workstation', async () => {
    const laptop = await nix.evalJson(`${fleet.flakeDir}#darwinConfigurations.laptop`, {
      apply: `laptop: {
        system = laptop.pkgs.stdenv.hostPlatform.system;
        platform = laptop.config.nixpkgs.hostPlatform.system;
        sameToplevel = laptop.system.drvPath == laptop.config.system.build.toplevel.drvPath;
      }`,
    });
    expect(laptop).toEqual({ system: 'aarch64-darwin', platform: 'aarch64-darwin', sameToplevel: true });
    const workstation = await nix.evalJson(`${fleet.flakeDir}#homeConfigurations."alice@workstation"`, {
      apply: `home: { system = home.activationPackage.system; user = home.config.home.username; }`,
    });
    expect(workstation).toEqual({ system: 'x86_64-linux', user: 'alice' });
  });

  it('declares a deploy-rs node with tags and a wave for every NixOS host', async () => {
    const nodes = await nix.evalJson<Record<string, unknown>>(`${fleet.flakeDir}#deploy.nodes`, {
      apply: `builtins.mapAttrs (_: node: {
        inherit (node) hostname sshUser tags wave;
        user = node.profiles.system.user;
        path = node.profiles.system.path.outPath;
      })`,
    });
    for (const host of EXAMPLE_HOSTS.filter((candidate) => candidate.kind === 'nixos')) {
      const toplevel = await nix.evalJson<string>(
        `${installable(fleet.flakeDir, host.buildAttrPath)}.outPath`,
      );
      expect(nodes[host.name]).toEqual({
        hostname: `${host.name}.home.arpa`,
        sshUser: 'deploy',
        user: 'root',
        path: toplevel,
        tags: host.deploy?.tags,
        wave: host.deploy?.wave,
      });
    }
  });

  it('configures restic backups the way NixOS does', async () => {
    const backups = await nix.evalJson<Record<string, Record<string, unknown>>>(
      `${fleet.flakeDir}#nixosConfigurations.homeserver.config.services.restic.backups`,
    );
    expect(Object.keys(backups).sort()).toEqual(['immich', 'vaultwarden']);
    expect(backups.immich).toMatchObject({
      repository: '/mnt/backup/restic/immich',
      paths: ['/srv/photos', '/var/lib/immich'],
      pruneOpts: ['--keep-daily 7', '--keep-weekly 4', '--keep-monthly 6', '--keep-yearly 1'],
      timerConfig: { OnCalendar: 'daily', Persistent: true },
      extraBackupArgs: ['--tag', 'immich'],
    });
  });

  it('builds every host, the formatters and the checks offline', async () => {
    const hostResults = await nix.build(
      EXAMPLE_HOSTS.map((host) => installable(fleet.flakeDir, host.buildAttrPath)),
    );
    expect(hostResults).toHaveLength(EXAMPLE_HOSTS.length);
    const outputs = hostResults.map((result) => result.outputs.out ?? '');
    for (const name of ['homeserver', 'media', 'gateway', 'pi', 'alices-macbook']) {
      const output = outputs.find((path) => path.includes(`-system-${name}`));
      expect(output, name).toBeDefined();
      expect(JSON.parse(await readFile(output!, 'utf8')).networking.hostName).toBe(name);
    }
    const home = JSON.parse(
      await readFile(outputs.find((path) => path.endsWith('home-manager-generation'))!, 'utf8'),
    );
    expect(home.home.username).toBe('alice');

    const tools = await nix.build(
      ['x86_64-linux', 'aarch64-linux'].flatMap((system) => [
        `${fleet.flakeDir}#formatter.${system}`,
        `${fleet.flakeDir}#checks.${system}.deploy-waves`,
      ]),
    );
    expect(tools).toHaveLength(4);
  });

  it('ships a formatter that accepts existing files and rejects missing ones', async () => {
    const [formatter] = await nix.build([`${fleet.flakeDir}#formatter.x86_64-linux`]);
    const program = join(formatter!.outputs.out!, 'bin', 'homelab-fmt');
    await access(program, constants.X_OK);
    const formatted = await runner.run(program, ['--check', 'flake.nix', 'hosts'], { cwd: fleet.flakeDir });
    expect([formatted.exitCode, formatted.stdout, formatted.stderr]).toEqual([0, '', '']);
    const missing = await runner.run(program, ['nowhere.nix'], { cwd: fleet.flakeDir });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('nowhere.nix');
  });
});

describeEachVersion(NIX_VERSIONS, 'advancing an input', () => {
  // NixCli remembers the version it met; each version gets its own.
  beforeAll(async () => {
    ({ nix, runner } = await requireNix());
  });
  it('moves the input in flake.lock to the new commit and changes the hosts using it', async () => {
    const fleet = await newFleet();
    const homeserverBefore = await toplevelDrv(fleet, 'homeserver');
    const laptopBefore = await toplevelDrv(fleet, 'laptop');

    const commit = await advanceInput(fleet, 'secrets', undefined, { runner });
    expect(commit.rev).not.toBe(fleet.inputs.secrets.initialRev);
    await nix.updateLock(fleet.flakeDir, ['secrets']);
    const lock = await readLock(fleet);
    expect(lockedRev(lock, 'secrets')).toBe(commit.rev);
    expect(lockedRev(lock, 'dotfiles')).toBe(fleet.inputs.dotfiles.initialRev);
    expect(await toplevelDrv(fleet, 'homeserver')).not.toBe(homeserverBefore);
    // The laptop reads alice's keys through dotfiles, whose secrets input follows the fleet's.
    expect(await toplevelDrv(fleet, 'laptop')).not.toBe(laptopBefore);

    const dotfilesCommit = await advanceInput(fleet, 'dotfiles', { kind: 'update' }, { runner });
    const laptopAfterSecrets = await toplevelDrv(fleet, 'laptop');
    const homeserverAfterSecrets = await toplevelDrv(fleet, 'homeserver');
    await nix.updateLock(fleet.flakeDir);
    expect(lockedRev(await readLock(fleet), 'dotfiles')).toBe(dotfilesCommit.rev);
    expect(await toplevelDrv(fleet, 'laptop')).not.toBe(laptopAfterSecrets);
    expect(await toplevelDrv(fleet, 'homeserver')).toBe(homeserverAfterSecrets);
  });

  it('can commit a mistake that still locks but fails evaluation', async () => {
    const fleet = await newFleet();
    const secrets = await advanceInput(fleet, 'secrets', { kind: 'break-evaluation' }, { runner });
    const dotfiles = await advanceInput(fleet, 'dotfiles', { kind: 'break-evaluation' }, { runner });
    await nix.updateLock(fleet.flakeDir, ['secrets', 'dotfiles']);
    const lock = await readLock(fleet);
    expect([lockedRev(lock, 'secrets'), lockedRev(lock, 'dotfiles')]).toEqual([secrets.rev, dotfiles.rev]);

    const homeserver = await toplevelDrv(fleet, 'homeserver').catch((error: unknown) => error);
    expect(homeserver).toBeInstanceOf(NixError);
    expect((homeserver as NixError).nixMessage).toMatch(/^error: .*authorized_keys\/bob/);
    const workstation = await toplevelDrv(fleet, 'alice@workstation').catch((error: unknown) => error);
    expect((workstation as NixError).nixMessage).toMatch(/^error: undefined variable 'email'/);
  });

  it('can commit files of the caller’s choosing', async () => {
    const fleet = await newFleet();
    const commit = await advanceInput(
      fleet,
      'dotfiles',
      { kind: 'files', files: { 'shell/aliases.sh': "alias ll='ls -l'\n" }, message: 'Trim aliases' },
      { runner },
    );
    expect(await git(runner, fleet.inputs.dotfiles.dir, ['log', '-1', '--format=%H %s'])).toBe(
      `${commit.rev} Trim aliases`,
    );
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { SpawnProcessRunner } from '../../src/core/process.js';
import { type GeneratedFleet, generateFleet } from '../../src/demo/generate-fleet.js';
import { git } from '../../src/demo/git-repo.js';
import { installable, type NixCli } from '../../src/nix/cli.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

let nix: NixCli;
let runner: SpawnProcessRunner;
let tempDir: string;

describeEachVersion(NIX_VERSIONS, 'generateFleet', () => {
  let fleet: GeneratedFleet;
  // NixCli remembers the version it met, and the fleet needs an empty directory: each version gets its own.
  beforeAll(async () => {
    ({ nix, runner } = await requireNix());
    tempDir = await makeTempDir('generated-fleet');
    fleet = await generateFleet(join(tempDir, 'fleet'), 20, { runner });
  });
  afterAll(() => removeTempDir(tempDir));

  it('mixes NixOS, nix-darwin and Home Manager hosts on four systems', () => {
    const count = (predicate: (host: GeneratedFleet['hosts'][number]) => boolean) =>
      fleet.hosts.filter(predicate).length;
    expect(fleet.hosts).toHaveLength(20);
    expect(count((host) => host.kind === 'nixos' && host.system === 'x86_64-linux')).toBe(12);
    expect(count((host) => host.kind === 'nixos' && host.system === 'aarch64-linux')).toBe(4);
    expect(count((host) => host.kind === 'darwin')).toBe(2);
    expect(count((host) => host.kind === 'home-manager')).toBe(2);
    expect(new Set(fleet.hosts.map((host) => host.system))).toEqual(
      new Set(['x86_64-linux', 'aarch64-linux', 'aarch64-darwin', 'x86_64-darwin']),
    );
  });

  it('is committed to git', async () => {
    expect(await git(runner, fleet.flakeDir, ['status', '--porcelain'])).toBe('');
    expect(await git(runner, fleet.flakeDir, ['log', '--format=%s'])).toBe('Fleet of 20 hosts');
  });

  it('evaluates every host to a derivation for its system', async () => {
    const systems = await nix.evalJson<Record<string, Record<string, string>>>(
      {
        expr: `let fleet = builtins.getFlake ${JSON.stringify(`git+file://${fleet.flakeDir}`)}; in {
        nixos = builtins.mapAttrs (_: host: host.config.system.build.toplevel.system) fleet.nixosConfigurations;
        darwin = builtins.mapAttrs (_: host: host.system.system) fleet.darwinConfigurations;
        home-manager = builtins.mapAttrs (_: home: home.activationPackage.system) fleet.homeConfigurations;
      }`,
      },
      { impure: true },
    );
    for (const host of fleet.hosts) {
      expect(systems[host.kind]?.[host.name], host.name).toBe(host.system);
    }
    expect(Object.values(systems).flatMap((hosts) => Object.keys(hosts))).toHaveLength(20);
  });

  it('makes every NixOS host a deploy node, with one canary in the first wave', async () => {
    const nodes = await nix.evalJson<Record<string, { tags: string[]; wave: number }>>(
      `${fleet.flakeDir}#deploy.nodes`,
      { apply: 'builtins.mapAttrs (_: node: { inherit (node) tags wave; })' },
    );
    const nixosHosts = fleet.hosts.filter((host) => host.kind === 'nixos');
    expect(Object.keys(nodes).sort()).toEqual(nixosHosts.map((host) => host.name).sort());
    expect(Object.entries(nodes).filter(([, node]) => node.tags.includes('canary'))).toEqual([
      ['srv-001', { tags: ['canary', 'servers'], wave: 1 }],
    ]);
    for (const host of nixosHosts) expect(nodes[host.name]).toEqual(host.deploy);
  });

  it('builds offline', async () => {
    const built = await nix.build(fleet.hosts.map((host) => installable(fleet.flakeDir, host.buildAttrPath)));
    // The two Home Manager hosts are one derivation, built and reported once.
    expect(built).toHaveLength(19);
    expect(new Set(built.map((result) => result.drvPath)).size).toBe(19);
  });

  it('refuses a directory that is not empty', async () => {
    const dir = join(tempDir, 'occupied');
    await mkdir(dir);
    await writeFile(join(dir, 'README.md'), 'mine\n');
    await expect(generateFleet(dir, 3, { runner })).rejects.toThrow(UserError);
  });
});

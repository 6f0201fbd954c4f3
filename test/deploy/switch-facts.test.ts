import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readProfileTargets } from '../../src/deploy/profile-targets.js';
import { evaluateToplevels, readSwitchFleet } from '../../src/deploy/switch/switch-nodes.js';
import { NixCli } from '../../src/nix/cli.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

let root: string;
let nix: NixCli;

/** A flake whose outputs are `body`; `top name` is a derivation that evaluates without building. */
async function flake(dir: string, body: string): Promise<string> {
  const path = join(root, dir);
  await mkdir(path, { recursive: true });
  await writeFile(
    join(path, 'flake.nix'),
    `{ outputs = { self }: let top = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; }; in ${body}; }\n`,
  );
  return path;
}

describeEachVersion(NIX_VERSIONS, 'the switch engine asks the fleet model', () => {
  // NixCli remembers the version it met, and Nix may write lock files: each version gets its own.
  beforeAll(async () => {
    nix = new NixCli((await requireNix()).runner);
    root = await makeTempDir('switch-facts');
  });
  afterAll(() => removeTempDir(root));

  it('tells whether deploy.nodes exists without evaluating a node', async () => {
    const without = await flake('no-deploy', '{ }');
    const withNodes = await flake('deploy', '{ deploy.nodes.web = throw "not evaluated"; }');
    const deployOnly = await flake('deploy-only', '{ deploy.sshUser = "root"; }');
    expect((await readSwitchFleet(nix, without)).hasDeployNodes).toBe(false);
    expect((await readSwitchFleet(nix, withNodes)).hasDeployNodes).toBe(true);
    expect((await readSwitchFleet(nix, deployOnly)).hasDeployNodes).toBe(false);
  });

  it('lists every configuration without evaluating one, then evaluates only the toplevels named', async () => {
    const dir = await flake(
      'switch',
      `{
        nixosConfigurations.web.config.system.build.toplevel = top "web";
        nixosConfigurations.broken.config.system.build.toplevel = throw "broken is not deployed";
        homeConfigurations."alice@laptop".activationPackage = top "home";
        flakeflow.nodes = { web = { address = "10.0.0.5"; wave = 1; }; "alice@laptop" = null; };
      }`,
    );
    const facts = await readSwitchFleet(nix, dir);
    expect(facts.hasDeployNodes).toBe(false);
    expect(facts.flakeNodes).toEqual({ web: { address: '10.0.0.5', wave: 1 }, 'alice@laptop': null });
    expect(facts.systems).toEqual({
      web: { kind: 'nixos' },
      broken: { kind: 'nixos' },
      'alice@laptop': { kind: 'home' },
    });

    const systems = await evaluateToplevels(nix, dir, ['web', 'alice@laptop']);
    expect(Object.keys(systems).sort()).toEqual(['alice@laptop', 'web']);
    expect(systems.web).toMatchObject({
      kind: 'nixos',
      attrPath: ['nixosConfigurations', 'web', 'config', 'system', 'build', 'toplevel'],
    });
    expect(systems.web?.drvPath).toMatch(/^\/nix\/store\/\w+-web\.drv$/);
    expect(systems.web?.path).toMatch(/^\/nix\/store\/\w+-web$/);
    expect(systems['alice@laptop']).toMatchObject({
      kind: 'home',
      attrPath: ['homeConfigurations', 'alice@laptop', 'activationPackage'],
    });

    const named = await evaluateToplevels(nix, dir, ['alice@laptop']);
    expect(Object.keys(named)).toEqual(['alice@laptop']);
    await expect(evaluateToplevels(nix, dir, ['broken'])).rejects.toThrow('broken is not deployed');
  });

  it("reads the named deploy-rs nodes' profile paths and where deploy-rs puts them", async () => {
    const dir = await flake(
      'profiles',
      `{
        deploy.user = "root";
        deploy.nodes.web = {
          hostname = "web";
          profiles.system.path = top "web";
          profiles.app = { user = "app"; path = top "app"; };
          profiles.custom = { profilePath = "/var/custom"; path = top "custom"; };
        };
        deploy.nodes.other = { hostname = "other"; profiles.system.path = throw "other is not read"; };
      }`,
    );
    const targets = await readProfileTargets(nix, dir, ['web']);
    expect([...targets.keys()]).toEqual(['web']);
    const byProfile = Object.fromEntries(
      (targets.get('web') ?? []).map((target) => [target.profile, target]),
    );
    expect(byProfile.system).toMatchObject({
      profilePath: '/nix/var/nix/profiles/system',
      currentSystem: '/run/current-system',
    });
    expect(byProfile.system?.path).toMatch(/^\/nix\/store\/\w+-web$/);
    expect(byProfile.app).toMatchObject({
      profilePath: '/nix/var/nix/profiles/per-user/app/app',
      currentSystem: '/nix/var/nix/profiles/per-user/app/app',
    });
    expect(byProfile.custom).toMatchObject({ profilePath: '/var/custom', currentSystem: '/var/custom' });
  });
});

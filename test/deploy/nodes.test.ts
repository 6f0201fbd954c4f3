import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../src/core/process.js';
import { materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { readDeployNodes } from '../../src/deploy/nodes.js';
import { NixCli } from '../../src/nix/cli.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

/** Counts the nix commands run, so the test can hold readDeployNodes to one evaluation. */
class CountingRunner implements ProcessRunner {
  readonly commands: (readonly string[])[] = [];
  constructor(private readonly inner: ProcessRunner) {}
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult> {
    this.commands.push(args);
    return this.inner.run(command, args, options);
  }
}

let root: string;
let fleetDir: string;

async function flake(dir: string, body: string): Promise<string> {
  const path = join(root, dir);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'flake.nix'), `{ outputs = { self }: ${body}; }\n`);
  return path;
}

describeEachVersion(NIX_VERSIONS, 'readDeployNodes', () => {
  beforeAll(async () => {
    await requireNix();
    root = await makeTempDir('deploy-nodes');
    fleetDir = (await materializeExampleFleet(join(root, 'example'))).flakeDir;
  });
  afterAll(() => removeTempDir(root));

  const SYSTEM_PROFILE = {
    profile: 'system',
    profilePath: '/nix/var/nix/profiles/system',
    currentSystem: '/run/current-system',
  };

  it('reads hostname, tags, wave and ssh settings of the example fleet in one evaluation', async () => {
    const { runner } = await requireNix();
    const counting = new CountingRunner(runner);
    const nodes = await readDeployNodes(new NixCli(counting), fleetDir);
    expect(nodes).toEqual([
      {
        name: 'gateway',
        hostname: 'gateway.home.arpa',
        tags: ['edge', 'network'],
        wave: 3,
        sshUser: 'deploy',
        sshOpts: [],
        profiles: [SYSTEM_PROFILE],
      },
      {
        name: 'homeserver',
        hostname: 'homeserver.home.arpa',
        tags: ['servers', 'storage'],
        wave: 2,
        sshUser: 'deploy',
        sshOpts: [],
        profiles: [SYSTEM_PROFILE],
      },
      {
        name: 'media',
        hostname: 'media.home.arpa',
        tags: ['canary', 'servers'],
        wave: 1,
        sshUser: 'deploy',
        sshOpts: [],
        profiles: [SYSTEM_PROFILE],
      },
      {
        name: 'pi',
        hostname: 'pi.home.arpa',
        tags: ['edge', 'arm'],
        wave: 3,
        sshUser: 'deploy',
        sshOpts: [],
        profiles: [SYSTEM_PROFILE],
      },
    ]);
    expect(counting.commands.filter((args) => args[0] === 'eval')).toHaveLength(1);
    expect(counting.commands.filter((args) => args[0] !== '--version')).toHaveLength(1);
  });

  it('orders sshOpts as deploy-rs does (profile, node, deploy: ssh keeps the first -o), inherits the deploy-level sshUser and says where each profile is linked without evaluating it', async () => {
    const dir = await flake(
      'levels',
      `{ deploy = { sshUser = "ops"; sshOpts = [ "-p" "2222" ]; nodes.a = { hostname = "a"; sshOpts = [ "-o" "ConnectTimeout=5" ]; profiles.system = { path = throw "never evaluated"; sshOpts = [ "-4" ]; }; profiles.home = { user = "alice"; path = throw "never evaluated"; }; }; nodes.b = { hostname = "b"; sshUser = "root"; user = "ops"; profiles.tools = { profilePath = "/nix/var/nix/profiles/tools-of-b"; path = throw "never evaluated"; }; profiles.shell.path = throw "never evaluated"; }; }; }`,
    );
    const { nix } = await requireNix();
    expect(await readDeployNodes(nix, dir)).toEqual([
      {
        name: 'a',
        hostname: 'a',
        tags: [],
        sshUser: 'ops',
        sshOpts: ['-4', '-o', 'ConnectTimeout=5', '-p', '2222'],
        profiles: [
          {
            profile: 'home',
            profilePath: '/nix/var/nix/profiles/per-user/alice/home',
            currentSystem: '/nix/var/nix/profiles/per-user/alice/home',
          },
          SYSTEM_PROFILE,
        ],
      },
      {
        name: 'b',
        hostname: 'b',
        tags: [],
        sshUser: 'root',
        sshOpts: ['-p', '2222'],
        profiles: [
          {
            profile: 'shell',
            profilePath: '/nix/var/nix/profiles/per-user/ops/shell',
            currentSystem: '/nix/var/nix/profiles/per-user/ops/shell',
          },
          {
            profile: 'tools',
            profilePath: '/nix/var/nix/profiles/tools-of-b',
            currentSystem: '/nix/var/nix/profiles/tools-of-b',
          },
        ],
      },
    ]);
  });

  it('names the attribute at fault in one line', async () => {
    const { nix } = await requireNix();
    const badWave = await flake('bad-wave', '{ deploy.nodes.a = { hostname = "a"; wave = "first"; }; }');
    await expect(readDeployNodes(nix, badWave)).rejects.toThrow(
      "The flake's deploy.nodes.a.wave must be a whole number",
    );
    const noHost = await flake('no-host', '{ deploy.nodes.a = { tags = [ "x" ]; }; }');
    await expect(readDeployNodes(nix, noHost)).rejects.toThrow(
      "The flake's deploy.nodes.a.hostname must be a string: deploy-rs needs it to reach the node",
    );
    const badTag = await flake('bad-tag', '{ deploy.nodes.a = { hostname = "a"; tags = [ "@web" ]; }; }');
    await expect(readDeployNodes(nix, badTag)).rejects.toThrow(
      "The flake's deploy.nodes.a.tags.0 must be a name without @, commas or spaces",
    );
  });

  it('says so when the flake has no deploy output or no nodes', async () => {
    const { nix } = await requireNix();
    const none = await flake('none', '{ }');
    await expect(readDeployNodes(nix, none)).rejects.toThrow(/has no 'deploy' output: define deploy.nodes/);
    const empty = await flake('empty', '{ deploy.nodes = { }; }');
    await expect(readDeployNodes(nix, empty)).rejects.toThrow(
      /defines no deploy.nodes: there is nothing to deploy/,
    );
  });
});

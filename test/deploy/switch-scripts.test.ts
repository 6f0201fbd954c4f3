import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { ACTIVATE, activateArgs, systemdWatchdogArgv } from '../../src/deploy/switch/remote-scripts.js';
import { type FlakeSystem, mergeSwitchNodes } from '../../src/deploy/switch/switch-nodes.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { buildAttribute, profileState, setProfile, switchCalls, writeSwitchFleet } from './switch-fleet.js';

let root: string;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('deploy-switch-scripts');
});

afterAll(async () => {
  await removeTempDir(root);
});

describe('the watchdog on a node booted with systemd', () => {
  it('is armed with exactly the systemd-run command the README shows, before the switch', async () => {
    const fleet = await writeSwitchFleet(join(root, 'fleet'), [{ name: 'web' }], {
      authorizedKeys: join(root, 'unused'),
    });
    const profile = join(root, 'node', 'system');
    await mkdir(join(root, 'node'), { recursive: true });
    const before = await buildAttribute(fleet.dir, 'previous.web');
    const target = await buildAttribute(fleet.dir, 'nixosConfigurations.web.config.system.build.toplevel');
    await setProfile(profile, before);
    // A stand-in systemd-run records its argv and the order of events; /run/systemd/system is a temp dir.
    const bin = join(root, 'bin');
    const systemdDir = join(root, 'run-systemd-system');
    await mkdir(bin, { recursive: true });
    await mkdir(systemdDir, { recursive: true });
    const argvFile = join(root, 'systemd-run.json');
    await writeFile(
      join(bin, 'systemd-run'),
      `#!/usr/bin/env node\nrequire('node:fs').writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(['systemd-run', ...process.argv.slice(2)]));\nrequire('node:fs').appendFileSync(${JSON.stringify(fleet.record)}, 'watchdog armed\\n');\n`,
    );
    await chmod(join(bin, 'systemd-run'), 0o755);
    const marker = join(root, 'flakeflow-confirm-test');
    const args = activateArgs({
      profile,
      path: target,
      action: 'switch',
      marker,
      confirmSeconds: 3,
      limitSeconds: 20,
      magicRollback: true,
      autoRollback: true,
      kind: 'nixos',
      systemdDir,
    });
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const result = await runner.run('sh', ['-c', ACTIVATE, 'flakeflow', ...args], {
      env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('flakeflow-generation: 1 2');
    const nixEnv = execFileSync('sh', ['-c', 'command -v nix-env']).toString().trim();
    expect(JSON.parse(await readFile(argvFile, 'utf8'))).toEqual(
      systemdWatchdogArgv(marker, [
        nixEnv,
        profile,
        '1',
        '2',
        marker,
        '3',
        '20',
        'bin/switch-to-configuration',
        'switch',
      ]),
    );
    expect((await readFile(fleet.record, 'utf8')).split('\n')[0]).toBe('watchdog armed');
    expect(await switchCalls({ ...fleet, record: fleet.record })).toContainEqual([target, 'switch']);
    expect((await profileState(profile)).path).toBe(target);
  }, 60_000);
});

const system = (kind: FlakeSystem['kind'], name: string): FlakeSystem => ({
  kind,
  attrPath: [],
  drvPath: `/nix/store/${name}.drv`,
  path: `/nix/store/${name}`,
});

describe('switch nodes', () => {
  const facts = {
    hasDeployNodes: false,
    systems: {
      web: system('nixos', 'web'),
      'alice@laptop': system('home', 'home'),
      mac: system('darwin', 'mac'),
    },
    flakeNodes: null as unknown,
  };

  it('makes every configuration a node reached at its name, as ssh-user or root', () => {
    const nodes = mergeSwitchNodes(facts, undefined, {});
    expect(nodes.map((node) => [node.name, node.hostname, node.sshUser, node.profile])).toEqual([
      ['web', 'web', 'root', '/nix/var/nix/profiles/system'],
      ['alice@laptop', 'laptop', 'alice', '/nix/var/nix/profiles/per-user/alice/home-manager'],
      ['mac', 'mac', 'root', '/nix/var/nix/profiles/system'],
    ]);
    expect(mergeSwitchNodes(facts, undefined, { sshUser: 'deploy' })[0]?.sshUser).toBe('deploy');
  });

  it('takes the nodes input over flakeflow.nodes, and flakeflow.nodes over the defaults', () => {
    const withFlake = { ...facts, flakeNodes: { web: { address: '10.0.0.5', tags: ['web'], wave: 2 } } };
    expect(mergeSwitchNodes(withFlake, undefined, {})).toMatchObject([
      { name: 'web', hostname: '10.0.0.5', tags: ['web'], wave: 2, sshUser: 'root' },
    ]);
    expect(mergeSwitchNodes(withFlake, { mac: { 'ssh-user': 'admin' } }, {})).toMatchObject([
      { name: 'mac', hostname: 'mac', sshUser: 'admin', tags: [] },
    ]);
  });

  it('refuses a node that is no configuration, and a malformed flakeflow.nodes, in one line', () => {
    expect(() => mergeSwitchNodes(facts, { db: {} }, {})).toThrow(
      "Input 'nodes' names node 'db', which is not a configuration of the flake; known: web, alice@laptop, mac",
    );
    expect(() =>
      mergeSwitchNodes({ ...facts, flakeNodes: { web: { wave: 'first' } } }, undefined, {}),
    ).toThrow("The flake's flakeflow.nodes.web.wave must be a whole number");
  });
});

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import {
  ACTIVATE,
  activateArgs,
  CONFIRM,
  systemdWatchdogArgv,
} from '../../src/deploy/switch/remote-scripts.js';
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

describe('the files beside the confirmation marker', () => {
  /** The node's files named after the marker in `dir`. */
  const markerFiles = async (dir: string) =>
    (await readdir(dir)).filter((name) => name.startsWith('flakeflow-confirm-')).sort();

  it('are gone once a confirmed watchdog ends, and never made when no watchdog is armed', async () => {
    const fleet = await writeSwitchFleet(join(root, 'fleet-markers'), [{ name: 'web' }], {
      authorizedKeys: join(root, 'unused'),
    });
    const previous = await buildAttribute(fleet.dir, 'previous.web');
    const target = await buildAttribute(fleet.dir, 'nixosConfigurations.web.config.system.build.toplevel');
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const activate = async (dir: string, profile: string, magicRollback: boolean) => {
      await mkdir(dir, { recursive: true });
      const marker = join(dir, `flakeflow-confirm-${magicRollback ? 'armed' : 'plain'}`);
      const args = activateArgs({
        profile,
        path: target,
        action: 'switch',
        marker,
        confirmSeconds: 1,
        limitSeconds: 20,
        magicRollback,
        autoRollback: true,
        kind: 'nixos',
        // No systemd here: the watchdog runs as a process and logs beside the marker.
        systemdDir: join(dir, 'no-systemd'),
      });
      const result = await runner.run('sh', ['-c', ACTIVATE, 'flakeflow', ...args]);
      expect(result.exitCode).toBe(0);
      return { marker, result };
    };

    const fresh = join(root, 'markers-fresh');
    await activate(fresh, join(fresh, 'system'), true);
    expect(await markerFiles(fresh)).toEqual([]);

    const unarmed = join(root, 'markers-unarmed');
    await mkdir(unarmed, { recursive: true });
    await setProfile(join(unarmed, 'system'), previous);
    await activate(unarmed, join(unarmed, 'system'), false);
    expect(await markerFiles(unarmed)).toEqual([]);

    const armed = join(root, 'markers-armed');
    await mkdir(armed, { recursive: true });
    await setProfile(join(armed, 'system'), previous);
    const { marker, result } = await activate(armed, join(armed, 'system'), true);
    expect(result.stdout).toContain('watchdog armed as process');
    expect(await markerFiles(armed)).toEqual([
      'flakeflow-confirm-armed.activated',
      'flakeflow-confirm-armed.log',
    ]);
    const confirmed = await runner.run('sh', ['-c', CONFIRM, 'flakeflow', marker]);
    expect(confirmed.stdout.trim()).toBe('confirmed');
    for (let waited = 0; (await markerFiles(armed)).length > 0 && waited < 100; waited += 1) await sleep(100);
    expect(await markerFiles(armed)).toEqual([]);
    expect((await profileState(join(armed, 'system'))).path).toBe(target);
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

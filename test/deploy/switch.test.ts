import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployFleet } from '../../src/deploy/deploy-fleet.js';
import { deployRecordFile, parseDeployRecord } from '../../src/deploy/deploy-record.js';
import { deployOutputs } from '../../src/deploy/report.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { startSshd, type TestSshd } from './sshd.js';
import { deploySettings, fakeDeploy, inProcessEnvironment } from './support.js';
import {
  buildAttribute,
  profileState,
  type SwitchFleet,
  type SwitchHost,
  setProfile,
  switchCalls,
  writeSwitchFleet,
} from './switch-fleet.js';

let root: string;
let sshd: TestSshd;
let counter = 0;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('deploy-switch');
  sshd = await startSshd(join(root, 'sshd'));
});

afterAll(async () => {
  await sshd?.stop();
  await removeTempDir(root);
});

interface SwitchCase {
  fleet: SwitchFleet;
  profiles: Record<string, string>;
  /** Each node's system before the deploy. */
  before: Record<string, string>;
  deploy(inputs?: Record<string, string>): ReturnType<typeof deployFleet>;
}

/** Hosts reached over the test sshd, each with its own profile, already running release 0. */
async function setup(
  hosts: SwitchHost[],
  options: { nodesInput?: boolean; waves?: Record<string, number> } = {},
): Promise<SwitchCase> {
  const dir = join(root, `case-${++counter}`);
  const profiles: Record<string, string> = {};
  const nodes: Record<string, Record<string, string | number>> = {};
  for (const host of hosts) {
    const nodeDir = join(dir, 'nodes', host.name);
    await mkdir(nodeDir, { recursive: true });
    profiles[host.name] = join(nodeDir, 'system');
    nodes[host.name] = {
      address: '127.0.0.1',
      profile: profiles[host.name] as string,
      'current-system': join(nodeDir, 'current-system'),
      ...(options.waves?.[host.name] === undefined ? {} : { wave: options.waves[host.name] as number }),
    };
  }
  const nodesYaml = JSON.stringify(nodes);
  const fleet = await writeSwitchFleet(join(dir, 'fleet'), hosts, {
    authorizedKeys: join(root, 'sshd', 'authorized_keys'),
    ...(options.nodesInput ? {} : { flakeNodes: toNix(nodes) }),
  });
  const before: Record<string, string> = {};
  for (const host of hosts) {
    before[host.name] = await buildAttribute(fleet.dir, `previous.${host.name}`);
    await setProfile(profiles[host.name] as string, before[host.name] as string);
  }
  const runnerTemp = join(dir, 'temp');
  await mkdir(runnerTemp, { recursive: true });
  return {
    fleet,
    profiles,
    before,
    deploy: (inputs = {}) => {
      const run = inProcessEnvironment(dir, runnerTemp, {}, { activationMarginMs: 15_000 });
      const settings = deploySettings({
        path: 'fleet',
        'known-hosts': sshd.knownHosts,
        'ssh-private-key': sshd.userKey.privateKey,
        'ssh-opts': `-p ${sshd.port}`,
        'confirm-timeout': '3',
        'activation-timeout': '20',
        strategy: 'all-at-once',
        ...(options.nodesInput ? { nodes: nodesYaml } : {}),
        ...inputs,
      });
      return deployFleet(settings, run.environment);
    },
  };
}

/** A JSON object as a Nix attribute set. */
function toNix(value: Record<string, Record<string, string | number>>): string {
  const attrs = (entries: Record<string, string | number>) =>
    Object.entries(entries)
      .map(([name, text]) => `${JSON.stringify(name)} = ${JSON.stringify(text)};`)
      .join(' ');
  return `{ ${Object.entries(value)
    .map(([name, entries]) => `${JSON.stringify(name)} = { ${attrs(entries)} };`)
    .join(' ')} }`;
}

async function readDeployRecord(profile: string) {
  return parseDeployRecord(await readFile(deployRecordFile(profile), 'utf8'));
}

function statuses(outcome: Awaited<ReturnType<typeof deployFleet>>): Record<string, string> {
  return Object.fromEntries(outcome.results.map((result) => [result.node, result.status]));
}

describeEachVersion(NIX_VERSIONS, 'the switch engine against a real sshd', () => {
  it('switches and confirms two hosts with engine auto, then finds both unchanged', async () => {
    const fleet = await setup([{ name: 'web' }, { name: 'db' }]);
    const web = await buildAttribute(fleet.fleet.dir, 'nixosConfigurations.web.config.system.build.toplevel');

    const first = await fleet.deploy();
    expect(first.engine).toBe('switch');
    expect(statuses(first)).toEqual({ web: 'deployed', db: 'deployed' });
    expect(first.results[0]?.message).toMatch(/switched to generation 2; confirmed/);
    expect((await profileState(fleet.profiles.web as string)).path).toBe(web);
    const calls = await switchCalls(fleet.fleet);
    expect(calls).toContainEqual([web, 'switch']);
    expect(calls).toHaveLength(2);
    expect(first.results[0]?.changes).toBeDefined();

    const record = deployRecordFile(fleet.profiles.web as string);
    expect((await stat(record)).mode & 0o777).toBe(0o600);
    expect(await readDeployRecord(fleet.profiles.web as string)).toEqual([
      {
        node: 'web',
        commit: null,
        attribute: 'nixosConfigurations.web.config.system.build.toplevel',
        path: web,
        action: 'switch',
        deployedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        runUrl: null,
      },
    ]);

    const second = await fleet.deploy();
    expect(statuses(second)).toEqual({ web: 'unchanged', db: 'unchanged' });
    expect(deployOutputs(second)).toMatchObject({ deployed: '', unchanged: 'db,web', failed: '' });
    expect(await switchCalls(fleet.fleet)).toHaveLength(2);

    const forced = await fleet.deploy({ force: 'true', targets: 'web' });
    expect(statuses(forced)).toEqual({ web: 'deployed' });
    expect((await readDeployRecord(fleet.profiles.web as string))?.map((entry) => entry.path)).toEqual([
      web,
      web,
    ]);
    expect(await switchCalls(fleet.fleet)).toHaveLength(3);
  }, 120_000);

  it('rolls a failing switch back to the exact previous generation', async () => {
    const fleet = await setup([{ name: 'bad', mode: 'fail' }], { nodesInput: true });
    const profile = fleet.profiles.bad as string;
    const before = await profileState(profile);

    const outcome = await fleet.deploy();
    expect(statuses(outcome)).toEqual({ bad: 'rolled-back' });
    expect(outcome.results[0]?.message).toBe('activation failed; rolled back to generation 1');
    expect(await profileState(profile)).toEqual(before);
    expect(existsSync(`${profile}-2-link`)).toBe(false);
    const calls = await switchCalls(fleet.fleet);
    expect(calls.at(-1)).toEqual([fleet.before.bad, 'switch']);
  }, 120_000);

  it('lets the node roll itself back when the confirmation never comes', async () => {
    const fleet = await setup([{ name: 'cut', mode: 'cut' }]);
    const authorizedKeys = fleet.fleet.authorizedKeys;
    try {
      const outcome = await fleet.deploy({ 'confirm-timeout': '4' });
      const ended = Date.now();
      expect(statuses(outcome)).toEqual({ cut: 'rolled-back' });
      expect(outcome.results[0]?.message).toMatch(/confirmation over a new SSH connection failed/);
      // The SSH session is long gone: only the node's watchdog can bring it back.
      const rolledBack = async () => (await switchCalls(fleet.fleet)).at(-1)?.[0] === fleet.before.cut;
      while (!(await rolledBack()) && Date.now() - ended < 4_000 + 6_000) await sleep(200);
      expect((await switchCalls(fleet.fleet)).at(-1)).toEqual([fleet.before.cut, 'switch']);
      expect((await profileState(fleet.profiles.cut as string)).path).toBe(fleet.before.cut);
    } finally {
      if (existsSync(`${authorizedKeys}.cut`)) await rename(`${authorizedKeys}.cut`, authorizedKeys);
    }
  }, 120_000);

  it('rolls back when the activation drops its SSH session', async () => {
    const fleet = await setup([{ name: 'dropped', mode: 'drop' }]);
    const outcome = await fleet.deploy({ 'confirm-timeout': '2' });
    expect(statuses(outcome)).toEqual({ dropped: 'rolled-back' });
    expect(outcome.results[0]?.message).toMatch(/unconfirmed, the node rolls itself back to generation 1/);
    const ended = Date.now();
    const rolledBack = async () => (await switchCalls(fleet.fleet)).at(-1)?.[0] === fleet.before.dropped;
    while (!(await rolledBack()) && Date.now() - ended < 10_000) await sleep(200);
    expect((await switchCalls(fleet.fleet)).at(-1)).toEqual([fleet.before.dropped, 'switch']);
    expect((await profileState(fleet.profiles.dropped as string)).path).toBe(fleet.before.dropped);
  }, 120_000);

  it('boot sets the profile and runs `boot` without a watchdog; dry-activate changes nothing', async () => {
    const fleet = await setup([{ name: 'web' }]);
    const web = await buildAttribute(fleet.fleet.dir, 'nixosConfigurations.web.config.system.build.toplevel');
    const dry = await fleet.deploy({ 'dry-activate': 'true' });
    expect(statuses(dry)).toEqual({ web: 'dry-activated' });
    expect((await profileState(fleet.profiles.web as string)).path).toBe(fleet.before.web);
    expect(existsSync(deployRecordFile(fleet.profiles.web as string))).toBe(false);
    const boot = await fleet.deploy({ boot: 'true' });
    expect(statuses(boot)).toEqual({ web: 'deployed' });
    expect(boot.results[0]?.message).toBe('generation 2 installed for the next boot');
    expect((await profileState(fleet.profiles.web as string)).path).toBe(web);
    expect(await readDeployRecord(fleet.profiles.web as string)).toEqual([
      expect.objectContaining({ node: 'web', path: web, action: 'boot', commit: null }),
    ]);
    expect(await switchCalls(fleet.fleet)).toEqual([
      [web, 'dry-activate'],
      [web, 'boot'],
    ]);
  }, 120_000);

  it('rolls out a canary first, then the rest at most `parallel` at once', async () => {
    const hosts = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
    const fleet = await setup(hosts);
    const outcome = await fleet.deploy({ strategy: 'canary', parallel: '2' });
    expect(outcome.plan.waves.map((wave) => wave.nodes.map((node) => node.name))).toEqual([
      ['a'],
      ['b', 'c', 'd'],
    ]);
    expect(Object.values(statuses(outcome))).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
    const start = (node: string) => Date.parse(outcome.results.find((r) => r.node === node)?.startedAt ?? '');
    const end = (node: string) => Date.parse(outcome.results.find((r) => r.node === node)?.finishedAt ?? '');
    for (const node of ['b', 'c', 'd']) expect(start(node)).toBeGreaterThanOrEqual(end('a'));
    // With parallel 2, d waits for b or c.
    expect(start('d')).toBeGreaterThanOrEqual(Math.min(end('b'), end('c')));
  }, 120_000);

  it('rolls out by the waves of flakeflow.nodes, and halts before the next wave when one fails', async () => {
    const fleet = await setup([{ name: 'a' }, { name: 'b', mode: 'fail' }, { name: 'c' }], {
      waves: { a: 1, b: 1, c: 2 },
    });
    const outcome = await fleet.deploy({ strategy: 'waves', parallel: '2' });
    expect(outcome.plan.waves.map((wave) => wave.nodes.map((node) => node.name))).toEqual([
      ['a', 'b'],
      ['c'],
    ]);
    expect(statuses(outcome)).toEqual({ a: 'deployed', b: 'rolled-back', c: 'skipped' });
    const first = outcome.results.slice(0, 2).map((result) => Date.parse(result.startedAt ?? ''));
    const ends = outcome.results.slice(0, 2).map((result) => Date.parse(result.finishedAt ?? ''));
    // Both nodes of wave 1 ran at the same time.
    expect(Math.max(...first)).toBeLessThan(Math.min(...ends));
  }, 120_000);
});

describeEachVersion(NIX_VERSIONS, 'skipping unchanged nodes with the deploy-rs engine', () => {
  it('runs deploy-rs only for nodes whose profile is not the target yet, unless forced', async () => {
    const dir = join(root, `case-${++counter}`);
    const profiles = {
      same: join(dir, 'nodes', 'same', 'system'),
      moved: join(dir, 'nodes', 'moved', 'system'),
    };
    const deployNode = (name: 'same' | 'moved') =>
      `${name} = { hostname = "127.0.0.1"; sshUser = "root"; profiles.system = { user = "root"; profilePath = ${JSON.stringify(profiles[name])}; path = self.nixosConfigurations.${name}.config.system.build.toplevel; }; };`;
    const fleet = await writeSwitchFleet(join(dir, 'fleet'), [{ name: 'same' }, { name: 'moved' }], {
      authorizedKeys: join(root, 'sshd', 'authorized_keys'),
      extraOutputs: `  deploy.nodes = { ${deployNode('same')} ${deployNode('moved')} };`,
    });
    for (const name of ['same', 'moved'] as const) await mkdir(join(dir, 'nodes', name), { recursive: true });
    await setProfile(
      profiles.same,
      await buildAttribute(fleet.dir, 'nixosConfigurations.same.config.system.build.toplevel'),
    );
    await setProfile(profiles.moved, await buildAttribute(fleet.dir, 'previous.moved'));
    const fake = await fakeDeploy(join(dir, 'fake'), {});
    const runnerTemp = join(dir, 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const deploy = (inputs: Record<string, string> = {}) =>
      deployFleet(
        deploySettings({
          path: 'fleet',
          'known-hosts': sshd.knownHosts,
          'ssh-private-key': sshd.userKey.privateKey,
          'ssh-opts': `-p ${sshd.port}`,
          strategy: 'all-at-once',
          ...inputs,
        }),
        inProcessEnvironment(dir, runnerTemp, fake.env).environment,
      );

    const outcome = await deploy();
    expect(outcome.engine).toBe('deploy-rs');
    expect(statuses(outcome)).toEqual({ same: 'unchanged', moved: 'deployed' });
    expect((await fake.invocations()).map((run) => run.nodes)).toEqual([['moved']]);

    const forced = await deploy({ force: 'true' });
    expect(statuses(forced)).toEqual({ same: 'deployed', moved: 'deployed' });
    expect((await fake.invocations()).map((run) => run.nodes).sort()).toEqual([
      ['moved'],
      ['moved'],
      ['same'],
    ]);
  }, 120_000);

  it('reads every node before the first wave, not each in its own turn', async () => {
    const dir = join(root, `case-${++counter}`);
    const names = ['one', 'two', 'three'] as const;
    const profiles = Object.fromEntries(names.map((name) => [name, join(dir, 'nodes', name, 'system')]));
    const deployNode = (name: string) =>
      `${name} = { hostname = "127.0.0.1"; sshUser = "root"; profiles.system = { user = "root"; profilePath = ${JSON.stringify(profiles[name])}; path = self.nixosConfigurations.${name}.config.system.build.toplevel; }; };`;
    const fleet = await writeSwitchFleet(
      join(dir, 'fleet'),
      names.map((name) => ({ name })),
      {
        authorizedKeys: join(root, 'sshd', 'authorized_keys'),
        extraOutputs: `  deploy.nodes = { ${names.map(deployNode).join(' ')} };`,
      },
    );
    for (const name of names) {
      await mkdir(join(dir, 'nodes', name), { recursive: true });
      await setProfile(profiles[name] as string, await buildAttribute(fleet.dir, `previous.${name}`));
    }
    const fake = await fakeDeploy(join(dir, 'fake'), {});
    // An ssh on the fake's PATH that notes when each read of what a node runs started.
    const reads = join(dir, 'reads.log');
    const bin = (fake.env.PATH as string).split(delimiter)[0] as string;
    await writeFile(
      join(bin, 'ssh'),
      `#!/bin/sh
case "$*" in *running:*) date +%s%3N >> '${reads}';; esac
exec /usr/bin/ssh "$@"
`,
      { mode: 0o755 },
    );
    const runnerTemp = join(dir, 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const outcome = await deployFleet(
      deploySettings({
        path: 'fleet',
        'known-hosts': sshd.knownHosts,
        'ssh-private-key': sshd.userKey.privateKey,
        'ssh-opts': `-p ${sshd.port}`,
        strategy: 'one-by-one',
      }),
      inProcessEnvironment(dir, runnerTemp, fake.env).environment,
    );

    expect(statuses(outcome)).toEqual({ one: 'deployed', two: 'deployed', three: 'deployed' });
    const invocations = await fake.invocations();
    expect(invocations.map((run) => run.nodes).sort()).toEqual([['one'], ['three'], ['two']]);
    const readStarts = (await readFile(reads, 'utf8')).trim().split('\n').map(Number);
    expect(readStarts).toHaveLength(3);
    const firstWave = Math.min(...invocations.map((run) => run.start));
    for (const start of readStarts) expect(start).toBeLessThanOrEqual(firstWave);
  }, 120_000);
});

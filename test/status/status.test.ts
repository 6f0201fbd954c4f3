import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { commitAll, initRepository } from '../../src/demo/git-repo.js';
import { deployFleet } from '../../src/deploy/deploy-fleet.js';
import { deployRecordFile, parseDeployRecord } from '../../src/deploy/deploy-record.js';
import { readFleetStatus } from '../../src/status/fleet-status.js';
import type { NodeStatus } from '../../src/status/judge.js';
import { jsonOutputs, runCli } from '../cli/support.js';
import { startSshd, type TestSshd } from '../deploy/sshd.js';
import { deploySettings, fakeDeploy, inProcessEnvironment } from '../deploy/support.js';
import { buildAttribute, type SwitchHost, setProfile, writeSwitchFleet } from '../deploy/switch-fleet.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { statusSettings } from './support.js';

let root: string;
let sshd: TestSshd;
let counter = 0;
const runner = new SpawnProcessRunner(new RecordingLogger());

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('status');
  sshd = await startSshd(join(root, 'sshd'));
});

afterAll(async () => {
  await sshd?.stop();
  await removeTempDir(root);
});

const toplevel = (name: string) => `nixosConfigurations.${name}.config.system.build.toplevel`;

interface NodePaths {
  profile: string;
  'current-system': string;
  'booted-system': string;
}

/** A fleet flake in its own git repository, its nodes on the test sshd, each with its own links. */
async function gitFleet(names: readonly string[], previous: SwitchHost[]) {
  const repo = join(root, `case-${++counter}`, 'fleet');
  const nodesDir = join(root, `case-${counter}`, 'nodes');
  const paths: Record<string, NodePaths> = {};
  for (const name of names) {
    await mkdir(join(nodesDir, name), { recursive: true });
    paths[name] = {
      profile: join(nodesDir, name, 'system'),
      'current-system': join(nodesDir, name, 'current-system'),
      'booted-system': join(nodesDir, name, 'booted-system'),
    };
  }
  const write = (hosts: SwitchHost[]) =>
    writeSwitchFleet(repo, hosts, { authorizedKeys: join(root, 'sshd', 'authorized_keys'), previous });
  await write(names.map((name) => ({ name })));
  await writeFile(join(repo, '.gitignore'), 'switch-calls.log\n');
  await initRepository(runner, repo);
  const first = await commitAll(runner, repo, 'C1');
  return { repo, paths, write, first };
}

function byNode(nodes: readonly NodeStatus[]): Record<string, NodeStatus> {
  return Object.fromEntries(nodes.map((node) => [node.node, node]));
}

describeEachVersion(NIX_VERSIONS, 'status against a real sshd', () => {
  it('finds a node needing a reboot, one behind, one switched by hand and one unreachable, through the CLI', async () => {
    const names = ['n1', 'n2', 'n3', 'n4'];
    // n1 booted a system with an older kernel than the one it runs after the deploy.
    const fleet = await gitFleet(names, [
      { name: 'n1', release: 0, kernel: '6.1' },
      { name: 'n2', release: 0 },
      { name: 'n3', release: 0 },
      { name: 'n4', release: 0 },
    ]);
    const nodes: Record<string, Record<string, string>> = {};
    for (const name of names) {
      const before = await buildAttribute(fleet.repo, `previous.${name}`);
      await setProfile(fleet.paths[name]?.profile as string, before);
      await symlink(before, fleet.paths[name]?.['booted-system'] as string);
      // n4 is at an address nothing listens on.
      nodes[name] = { address: name === 'n4' ? '127.0.0.2' : '127.0.0.1', ...fleet.paths[name] };
    }
    const nodesInput = JSON.stringify(nodes);
    const c1 = fleet.first;

    const runnerTemp = join(fleet.repo, '..', 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const access = {
      'known-hosts': sshd.knownHosts,
      'ssh-private-key': sshd.userKey.privateKey,
      'ssh-opts': `-p ${sshd.port} -o ConnectTimeout=5`,
    };
    const deployed = await deployFleet(
      deploySettings({
        path: '.',
        nodes: nodesInput,
        targets: 'n1,n2,n3',
        strategy: 'all-at-once',
        'confirm-timeout': '3',
        ...access,
      }),
      inProcessEnvironment(
        fleet.repo,
        runnerTemp,
        {},
        { activationMarginMs: 15_000, runUrl: 'https://github.com/o/r/actions/runs/7' },
      ).environment,
    );
    expect(deployed.results.map((result) => result.status)).toEqual(['deployed', 'deployed', 'deployed']);
    const record = parseDeployRecord(
      await readFile(deployRecordFile(fleet.paths.n2?.profile as string), 'utf8'),
    );
    expect(record).toEqual([
      expect.objectContaining({ node: 'n2', commit: c1, attribute: toplevel('n2'), action: 'switch' }),
    ]);
    expect(record?.[0]?.runUrl).toBe('https://github.com/o/r/actions/runs/7');

    // C2 changes only n2; n3 is switched by hand back to the system it ran before any deploy.
    await fleet.write([{ name: 'n1' }, { name: 'n2', release: 2 }, { name: 'n3' }, { name: 'n4' }]);
    const c2 = await commitAll(runner, fleet.repo, 'C2');
    const n1 = await buildAttribute(fleet.repo, toplevel('n1'));
    const handMade = await buildAttribute(fleet.repo, 'previous.n3');
    await symlink(handMade, fleet.paths.n3?.['current-system'] as string);

    const run = await runCli(
      [
        'status',
        '--path',
        '.',
        '--nodes',
        nodesInput,
        '--known-hosts',
        sshd.knownHosts,
        '--ssh-opts',
        access['ssh-opts'],
        '--json',
      ],
      { cwd: fleet.repo, env: { FLAKEFLOW_SSH_PRIVATE_KEY: sshd.userKey.privateKey }, timeoutMs: 120_000 },
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/error: 2 node\(s\) n3 \(drifted\), n4 \(unreachable\)/);
    const outputs = jsonOutputs(run) as { nodes: NodeStatus[] };
    const status = byNode(outputs.nodes);
    expect(Object.keys(status)).toEqual(names);
    expect(status.n1).toMatchObject({
      state: 'needs-reboot',
      'needs-reboot': true,
      running: n1,
      expected: n1,
      commit: c1,
      'behind-by': null,
    });
    expect(status.n2).toMatchObject({ state: 'behind', 'needs-reboot': false, commit: c1, 'behind-by': 1 });
    expect(status.n2?.expected).toBe(await buildAttribute(fleet.repo, toplevel('n2')));
    expect(status.n2?.reason).toContain(c1.slice(0, 12));
    expect(status.n3).toMatchObject({ state: 'drifted', running: handMade, commit: null });
    expect(status.n4).toMatchObject({ state: 'unreachable', running: null });
    expect(status.n4?.reason).toMatch(/ssh root@127\.0\.0\.2 exited with code 255: .*(refused|timed out)/i);

    // Deployed again from C2 and rebooted, the reachable nodes are all current.
    await runner.run('rm', [
      '-f',
      fleet.paths.n3?.['current-system'] as string,
      fleet.paths.n1?.['booted-system'] as string,
    ]);
    await symlink(n1, fleet.paths.n1?.['booted-system'] as string);
    const again = await deployFleet(
      deploySettings({
        path: '.',
        nodes: nodesInput,
        targets: 'n2,n3',
        strategy: 'all-at-once',
        force: 'true',
        ...access,
      }),
      inProcessEnvironment(fleet.repo, runnerTemp, {}, { activationMarginMs: 15_000 }).environment,
    );
    expect(again.results.map((result) => result.status)).toEqual(['deployed', 'deployed']);
    const after = await readFleetStatus(
      statusSettings({ path: '.', nodes: nodesInput, targets: 'n1,n2,n3', ...access }),
      inProcessEnvironment(fleet.repo, runnerTemp, {}).environment,
    );
    expect(after.commit).toBe(c2);
    expect(after.nodes.map((node) => [node.node, node.state, node.commit])).toEqual([
      ['n1', 'current', c1],
      ['n2', 'current', c2],
      ['n3', 'current', c2],
    ]);
  }, 240_000);
});

describeEachVersion(NIX_VERSIONS, 'status of a fleet where one system does not evaluate', () => {
  it('gives each node that does not evaluate its own row and judges the others, failing as fail-on says', async () => {
    const names = ['ok', 'thrown', 'missing'];
    const fleet = await gitFleet(names, [
      { name: 'ok', release: 0 },
      { name: 'thrown', release: 0 },
      { name: 'missing', release: 0 },
    ]);
    // One throws (tryEval would catch it), one names an attribute the flake lacks (which aborts Nix).
    await fleet.write([
      { name: 'ok' },
      { name: 'thrown', unevaluable: 'throw "broken: the disk layout is missing"' },
      { name: 'missing', unevaluable: 'self.nothing.toplevel' },
    ]);
    await commitAll(runner, fleet.repo, 'C2');
    const nodes: Record<string, Record<string, string>> = {};
    for (const name of names) {
      nodes[name] = { address: '127.0.0.1', ...fleet.paths[name] };
    }
    const okSystem = await buildAttribute(fleet.repo, toplevel('ok'));
    await setProfile(fleet.paths.ok?.profile as string, okSystem);
    const before = await buildAttribute(fleet.repo, 'previous.thrown');
    await setProfile(fleet.paths.thrown?.profile as string, before);

    const status = (failOn?: string) =>
      runCli(
        [
          'status',
          '--path',
          '.',
          '--nodes',
          JSON.stringify(nodes),
          '--known-hosts',
          sshd.knownHosts,
          '--ssh-opts',
          `-p ${sshd.port}`,
          ...(failOn === undefined ? [] : ['--fail-on', failOn]),
          '--json',
        ],
        { cwd: fleet.repo, env: { FLAKEFLOW_SSH_PRIVATE_KEY: sshd.userKey.privateKey }, timeoutMs: 120_000 },
      );
    const run = await status();
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/error: 2 node\(s\) thrown \(unevaluable\), missing \(unevaluable\)/);
    const rows = byNode((jsonOutputs(run) as { nodes: NodeStatus[] }).nodes);
    expect(Object.keys(rows)).toEqual(names);
    expect(rows.ok).toMatchObject({ state: 'current', running: okSystem, expected: okSystem });
    expect(rows.thrown).toMatchObject({ state: 'unevaluable', running: before, expected: null });
    expect(rows.thrown?.reason).toBe(
      "the flake's system for thrown does not evaluate: broken: the disk layout is missing",
    );
    expect(rows.missing).toMatchObject({ state: 'unevaluable', running: null, expected: null });
    expect(rows.missing?.reason).toBe(
      "the flake's system for missing does not evaluate: attribute 'nothing' missing",
    );

    const tolerated = await status('drifted,unreachable');
    expect(tolerated.exitCode).toBe(0);
    expect((jsonOutputs(tolerated) as { nodes: NodeStatus[] }).nodes.map((node) => node.state)).toEqual([
      'current',
      'unevaluable',
      'unevaluable',
    ]);
  }, 240_000);
});

describeEachVersion(NIX_VERSIONS, 'status of nix-darwin and Home Manager nodes', () => {
  // Their systems are Linux derivations under darwinConfigurations (nix-darwin's `system`) and
  // homeConfigurations (`activationPackage`): what is tested is how status reads those kinds, not
  // a real nix-darwin or Home Manager activation.
  it('reads them by their own attributes and never finds them needing a reboot, unlike a NixOS node', async () => {
    const repo = join(root, `case-${++counter}`, 'fleet');
    const nodesDir = join(root, `case-${counter}`, 'nodes');
    await writeSwitchFleet(repo, [{ name: 'n' }], {
      authorizedKeys: join(root, 'sshd', 'authorized_keys'),
      previous: [
        { name: 'n', kernel: '6.1' },
        { name: 'mac', release: 3 },
        { name: 'hm', release: 4 },
      ],
      extraOutputs: [
        '  darwinConfigurations.mac.system = self.previous.mac;',
        '  homeConfigurations."root@hm".activationPackage = self.previous.hm;',
      ].join('\n'),
    });
    const names = ['n', 'mac', 'root@hm'];
    // Every node booted the NixOS system with another kernel than each of them runs.
    const booted = await buildAttribute(repo, 'previous.n');
    const systems: Record<string, string> = {
      n: await buildAttribute(repo, toplevel('n')),
      mac: await buildAttribute(repo, 'previous.mac'),
      'root@hm': await buildAttribute(repo, 'previous.hm'),
    };
    const nodes: Record<string, Record<string, string>> = {};
    for (const name of names) {
      const dir = join(nodesDir, name);
      await mkdir(dir, { recursive: true });
      await setProfile(join(dir, 'profile'), systems[name] as string);
      await symlink(booted, join(dir, 'booted-system'));
      nodes[name] = {
        address: '127.0.0.1',
        profile: join(dir, 'profile'),
        'current-system': join(dir, 'current-system'),
        'booted-system': join(dir, 'booted-system'),
      };
    }
    const runnerTemp = join(repo, '..', 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const status = await readFleetStatus(
      statusSettings({
        path: '.',
        nodes: JSON.stringify(nodes),
        'known-hosts': sshd.knownHosts,
        'ssh-private-key': sshd.userKey.privateKey,
        'ssh-opts': `-p ${sshd.port}`,
      }),
      inProcessEnvironment(repo, runnerTemp, {}).environment,
    );
    expect(status.nodes.map((node) => [node.node, node.state, node['needs-reboot'], node.running])).toEqual([
      ['n', 'needs-reboot', true, systems.n],
      ['mac', 'current', false, systems.mac],
      ['root@hm', 'current', false, systems['root@hm']],
    ]);
    expect(status.nodes.map((node) => node.expected)).toEqual([systems.n, systems.mac, systems['root@hm']]);
  }, 240_000);
});

describeEachVersion(NIX_VERSIONS, 'status after a rollback', () => {
  it('finds a node rolled back by the switch engine behind, on the commit it is back on', async () => {
    const fleet = await gitFleet(['r'], [{ name: 'r', release: 0 }]);
    const profile = fleet.paths.r?.profile as string;
    await setProfile(profile, await buildAttribute(fleet.repo, 'previous.r'));
    const nodesInput = JSON.stringify({ r: { address: '127.0.0.1', profile } });
    const runnerTemp = join(fleet.repo, '..', 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const access = {
      'known-hosts': sshd.knownHosts,
      'ssh-private-key': sshd.userKey.privateKey,
      'ssh-opts': `-p ${sshd.port}`,
    };
    const deploy = () =>
      deployFleet(
        deploySettings({ path: '.', nodes: nodesInput, 'confirm-timeout': '3', ...access }),
        inProcessEnvironment(fleet.repo, runnerTemp, {}, { activationMarginMs: 15_000 }).environment,
      );
    expect((await deploy()).results[0]?.status).toBe('deployed');
    const c1System = await buildAttribute(fleet.repo, toplevel('r'));

    await fleet.write([{ name: 'r', release: 2, mode: 'fail' }]);
    await commitAll(runner, fleet.repo, 'C2');
    expect((await deploy()).results[0]?.status).toBe('rolled-back');

    const status = await readFleetStatus(
      statusSettings({ path: '.', nodes: nodesInput, ...access }),
      inProcessEnvironment(fleet.repo, runnerTemp, {}).environment,
    );
    expect(status.nodes).toEqual([
      expect.objectContaining({
        node: 'r',
        state: 'behind',
        running: c1System,
        commit: fleet.first,
        'behind-by': 1,
      }),
    ]);
    const record = parseDeployRecord(await readFile(deployRecordFile(profile), 'utf8'));
    expect(record?.map((deploy) => deploy.commit)).toEqual([fleet.first]);
  }, 240_000);
});

describeEachVersion(NIX_VERSIONS, 'status of deploy-rs nodes', () => {
  it('reads the record deploy-rs deploys leave, finds a node behind once the flake moves on, and one whose system breaks unevaluable', async () => {
    const dir = join(root, `case-${++counter}`);
    const repo = join(dir, 'fleet');
    const profiles = { a: join(dir, 'nodes', 'a', 'system'), b: join(dir, 'nodes', 'b', 'system') };
    const deployNode = (name: 'a' | 'b') =>
      `${name} = { hostname = "127.0.0.1"; sshUser = "root"; sshOpts = [ "-p" "${sshd.port}" ]; profiles.system = { user = "root"; profilePath = ${JSON.stringify(profiles[name])}; path = self.${toplevel(name)}; }; };`;
    const write = (hosts: SwitchHost[]) =>
      writeSwitchFleet(repo, hosts, {
        authorizedKeys: join(root, 'sshd', 'authorized_keys'),
        extraOutputs: `  deploy.nodes = { ${deployNode('a')} ${deployNode('b')} };`,
      });
    await write([{ name: 'a' }, { name: 'b' }]);
    await writeFile(join(repo, '.gitignore'), 'switch-calls.log\n');
    await initRepository(runner, repo);
    const c1 = await commitAll(runner, repo, 'C1');
    for (const name of ['a', 'b'] as const) await mkdir(join(dir, 'nodes', name), { recursive: true });
    const fake = await fakeDeploy(join(dir, 'fake'), {});
    const runnerTemp = join(dir, 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const access = { 'known-hosts': sshd.knownHosts, 'ssh-private-key': sshd.userKey.privateKey };

    const outcome = await deployFleet(
      deploySettings({ path: '.', strategy: 'all-at-once', 'deploy-command': fake.command, ...access }),
      inProcessEnvironment(repo, runnerTemp, fake.env).environment,
    );
    expect(outcome.engine).toBe('deploy-rs');
    expect(outcome.results.map((result) => result.status)).toEqual(['deployed', 'deployed']);
    // The fake deploy-rs replays a real run's output but activates nothing: set what it would have.
    for (const name of ['a', 'b'] as const)
      await setProfile(profiles[name], await buildAttribute(repo, toplevel(name)));
    const aAtC1 = await buildAttribute(repo, toplevel('a'));
    const bAtC1 = await buildAttribute(repo, toplevel('b'));
    expect(parseDeployRecord(await readFile(deployRecordFile(profiles.a), 'utf8'))).toEqual([
      expect.objectContaining({
        node: 'a',
        commit: c1,
        attribute: 'deploy.nodes.a.profiles.system.path',
        path: await buildAttribute(repo, toplevel('a')),
      }),
    ]);

    await write([{ name: 'a', release: 2 }, { name: 'b' }]);
    await commitAll(runner, repo, 'C2');
    const status = await readFleetStatus(
      statusSettings({ path: '.', ...access }),
      inProcessEnvironment(repo, runnerTemp, fake.env).environment,
    );
    expect(status.engine).toBe('deploy-rs');
    expect(status.nodes.map((node) => [node.node, node.state, node.commit, node['behind-by']])).toEqual([
      ['a', 'behind', c1, 1],
      ['b', 'current', c1, null],
    ]);

    // C3 breaks b's system: b is unevaluable and still read (where its profile is linked is known
    // from deploy.nodes without evaluating it), a is still judged.
    await write([
      { name: 'a', release: 2 },
      { name: 'b', unevaluable: 'throw "b has no disk"' },
    ]);
    await commitAll(runner, repo, 'C3');
    const broken = await readFleetStatus(
      statusSettings({ path: '.', ...access }),
      inProcessEnvironment(repo, runnerTemp, fake.env).environment,
    );
    expect(
      broken.nodes.map((node) => [node.node, node.state, node.running, node.commit, node['behind-by']]),
    ).toEqual([
      ['a', 'behind', aAtC1, c1, 2],
      ['b', 'unevaluable', bAtC1, c1, null],
    ]);
    expect(broken.nodes[1]?.reason).toBe("the flake's system for b does not evaluate: b has no disk");
  }, 240_000);
});

describe('the deploy record', () => {
  it('is written by neither engine for a dry activation', async () => {
    // Covered for the switch engine in test/deploy/switch.test.ts; deploy-rs records only `deployed` nodes.
    const { recordingDeployRs } = await import('../../src/deploy/deploy-record.js');
    const shells: string[] = [];
    const deployOne = recordingDeployRs(
      async (node) => ({
        node: node.name,
        wave: 1,
        status: 'dry-activated',
        message: 'dry activation passed',
      }),
      {
        targets: new Map([
          ['a', [{ profile: 'system', path: '/nix/store/x', profilePath: '/p', currentSystem: '/p' }]],
        ]),
        shellFor: (node) => {
          shells.push(node.name);
          throw new Error('no shell for a dry activation');
        },
        action: 'dry-activate',
        origin: { now: Date.now },
        logger: new RecordingLogger(),
      },
    );
    const result = await deployOne(
      { name: 'a', hostname: 'a', tags: [], sshOpts: [] },
      { number: 1, nodes: [] },
    );
    expect(result.status).toBe('dry-activated');
    expect(shells).toEqual([]);
  });
});

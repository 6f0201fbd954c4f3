import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/core/ansi.js';
import { materializeExampleFleet } from '../../src/demo/example-fleet.js';
import type { DeployNode } from '../../src/deploy/nodes.js';
import type { RolloutPlan } from '../../src/deploy/plan.js';
import { type DeployOneNode, executeRollout } from '../../src/deploy/rollout.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  type FakeDeployScript,
  fakeDeploy,
  inProcessEnvironment,
  maxConcurrency,
  runDeploy,
  writeFleet,
} from './support.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('deploy-rollout');
});
afterAll(() => removeTempDir(root));

/** A fresh fleet, fake deploy and runner temp for one test. */
async function setup(nodes: Parameters<typeof writeFleet>[1], script: FakeDeployScript) {
  const dir = join(root, `case-${++counter}`);
  const workspace = await writeFleet(join(dir, 'fleet'), nodes);
  const runnerTemp = join(dir, 'temp');
  await mkdir(runnerTemp, { recursive: true });
  const fake = await fakeDeploy(join(dir, 'fake'), script);
  return { workspace, runnerTemp, fake, run: inProcessEnvironment(workspace, runnerTemp, fake.env) };
}

const SIX = [
  { name: 'media', tags: ['canary', 'servers'], wave: 1 },
  { name: 'homeserver', tags: ['servers'], wave: 2 },
  { name: 'nas', tags: ['servers', 'storage'], wave: 2 },
  { name: 'gateway', tags: ['edge'], wave: 3 },
  { name: 'pi', tags: ['edge', 'arm'], wave: 3 },
  { name: 'printer', tags: ['edge'], wave: 3 },
];

const statuses = (results: { node: string; status: string }[]) =>
  Object.fromEntries(results.map((result) => [result.node, result.status]));

describeEachVersion(NIX_VERSIONS, 'rollout with the fake deploy-rs', () => {
  it('deploys the canary alone, then the rest with at most `parallel` deploy-rs processes at once', async () => {
    const { fake, run } = await setup(SIX, { latencyMs: 250 });
    const outcome = await runDeploy({ parallel: '2' }, run);

    expect(outcome.plan.waves.map((wave) => wave.nodes.map((node) => node.name))).toEqual([
      ['media'],
      ['homeserver', 'nas', 'gateway', 'pi', 'printer'],
    ]);
    expect(outcome.results.every((result) => result.status === 'deployed')).toBe(true);
    expect(outcome.results.map((result) => result.wave)).toEqual([1, 2, 2, 2, 2, 2]);

    const invocations = await fake.invocations();
    expect(invocations.map((call) => call.nodes)).toHaveLength(6);
    expect(invocations.every((call) => call.nodes.length === 1)).toBe(true);
    const [canary, ...rest] = invocations;
    expect(canary?.nodes).toEqual(['media']);
    for (const call of rest) expect(call.start).toBeGreaterThanOrEqual(canary?.end as number);
    expect(maxConcurrency(invocations)).toBe(2);

    // The canary's run checks the flake; the runs after it skip the check it passed.
    expect(canary?.argv).not.toContain('--skip-checks');
    for (const call of rest) expect(call.argv).toContain('--skip-checks');
    expect(canary?.argv.slice(0, 2)).toEqual(['--targets', '.#media']);

    const plan = run.logger.lines
      .filter((line) => line.message.startsWith('  wave '))
      .map((line) => line.message);
    expect(plan).toEqual(['  wave 1: media', '  wave 2: homeserver, nas, gateway, pi, printer']);
    const firstGroup = run.logger.lines.findIndex((line) => line.level === 'group-start');
    const planLine = run.logger.lines.findIndex((line) => line.message.startsWith('Rollout plan:'));
    expect(planLine).toBeGreaterThanOrEqual(0);
    expect(planLine).toBeLessThan(firstGroup);
  });

  it('folds each node log into its own group, whole, even when nodes run in parallel', async () => {
    const { run } = await setup(SIX.slice(0, 4), { latencyMs: 150 });
    await runDeploy({ strategy: 'all-at-once' }, run);
    const lines = run.logger.lines;
    const starts = lines.filter((line) => line.level === 'group-start').map((line) => line.message);
    expect(starts.sort()).toEqual(
      ['gateway', 'homeserver', 'media', 'nas'].map((name) =>
        expect.stringMatching(new RegExp(`^✅ ${name}: deployed in `)),
      ),
    );
    for (const name of ['gateway', 'homeserver', 'media', 'nas']) {
      const start = lines.findIndex(
        (line) => line.level === 'group-start' && line.message.includes(` ${name}: `),
      );
      const end = lines.findIndex((line, index) => index > start && line.level === 'group-end');
      const body = lines.slice(start + 1, end).map((line) => stripAnsi(line.message));
      expect(body).toContain(`🚀 ℹ️ [deploy] [INFO] Activating profile \`system\` for node \`${name}\``);
      expect(
        body.filter((line) => /for node `/.test(line)).every((line) => line.includes(`\`${name}\``)),
      ).toBe(true);
      expect(body.at(-1)).toBe('→ deployed: activated and confirmed');
    }
  });

  it('halt: after a failure no further node starts; running nodes finish', async () => {
    const { fake, run } = await setup(SIX, { latencyMs: 150, nodes: { homeserver: { mode: 'rollback' } } });
    const outcome = await runDeploy({ strategy: 'waves', parallel: '2' }, run);
    expect(statuses(outcome.results)).toEqual({
      media: 'deployed',
      homeserver: 'rolled-back',
      nas: 'deployed',
      gateway: 'skipped',
      pi: 'skipped',
      printer: 'skipped',
    });
    expect(outcome.stoppedBecause).toBe('halted after homeserver failed');
    expect(outcome.results.find((result) => result.node === 'pi')?.message).toBe(
      'not started: halted after homeserver failed',
    );
    expect((await fake.invocations()).map((call) => call.nodes[0]).sort()).toEqual([
      'homeserver',
      'media',
      'nas',
    ]);
  });

  it('halt within a wave: queued nodes of the failing wave do not start either', async () => {
    const { fake, run } = await setup(SIX, { latencyMs: 100, nodes: { homeserver: { mode: 'fail' } } });
    const outcome = await runDeploy({ strategy: 'waves', parallel: '1' }, run);
    expect(statuses(outcome.results)).toMatchObject({
      homeserver: 'failed',
      nas: 'skipped',
      gateway: 'skipped',
    });
    expect((await fake.invocations()).map((call) => call.nodes[0])).toEqual(['media', 'homeserver']);
    expect(outcome.results.find((result) => result.node === 'homeserver')?.message).toBe(
      // deploy-rs's own message names the node twice and loses the cause; the ssh line before it has it.
      'deploy-rs exited with code 1 while copying: ssh: connect to host 127.0.0.1 port 22699: Connection refused',
    );
  });

  it('continue: every node is tried and the failures are reported', async () => {
    const { fake, run } = await setup(SIX, {
      latencyMs: 100,
      nodes: { media: { mode: 'fail' }, pi: { mode: 'timeout' } },
    });
    const outcome = await runDeploy({ strategy: 'waves', 'on-failure': 'continue', parallel: '3' }, run);
    expect(statuses(outcome.results)).toEqual({
      media: 'failed',
      homeserver: 'deployed',
      nas: 'deployed',
      gateway: 'deployed',
      pi: 'rolled-back',
      printer: 'deployed',
    });
    expect(outcome.stoppedBecause).toBeUndefined();
    expect(await fake.invocations()).toHaveLength(6);
  });

  it('reads rollbacks and confirmation timeouts from the log, whatever the exit code, with colours and old emoji', async () => {
    for (const style of ['plain', 'ansi', 'old'] as const) {
      const { fake, run } = await setup(SIX.slice(0, 4), {
        latencyMs: 60,
        style,
        nodes: {
          homeserver: { mode: 'rollback' },
          nas: { mode: 'timeout' },
          gateway: { mode: 'rollback-exit-0' },
        },
      });
      const outcome = await runDeploy({ strategy: 'all-at-once', 'on-failure': 'continue' }, run);
      const byNode = Object.fromEntries(outcome.results.map((result) => [result.node, result]));
      expect(byNode.media?.status, style).toBe('deployed');
      expect(byNode.homeserver?.status, style).toBe('rolled-back');
      expect(byNode.homeserver?.message).toBe('the activation script failed (exit 1); rolled back');
      expect(byNode.nas?.status).toBe('rolled-back');
      expect(byNode.nas?.message).toBe(
        'confirmation timed out: the node rolled back to its previous generation',
      );
      expect(byNode.gateway?.status).toBe('rolled-back');
      expect(byNode.gateway?.message).toBe(
        'confirmation timed out: the node rolled back to its previous generation (deploy-rs exited 0 nonetheless)',
      );
      expect((await fake.invocations()).find((call) => call.nodes[0] === 'gateway')?.exitCode).toBe(0);
    }
  });

  it('stops a run that hangs after activation started and reports it as a timeout', async () => {
    const { fake, run } = await setup(SIX.slice(0, 2), { latencyMs: 50, nodes: { media: { mode: 'hang' } } });
    run.environment.activationMarginMs = 300;
    const outcome = await runDeploy({ 'activation-timeout': '1', 'confirm-timeout': '1' }, run);
    expect(statuses(outcome.results)).toEqual({ media: 'failed', homeserver: 'skipped' });
    expect(outcome.results[0]?.message).toMatch(
      /^timeout: no result \d+ s after activation started, so flakeflow stopped deploy-rs; without a confirmation, magic rollback returns/,
    );
    const [hung] = await fake.invocations();
    expect(hung?.end).toBeUndefined();
  });

  it('passes the flags the inputs ask for, and --rollback-succeeded false with dry-activate', async () => {
    const { fake, run, runnerTemp } = await setup(SIX.slice(0, 2), { latencyMs: 40 });
    const outcome = await runDeploy(
      {
        'dry-activate': 'true',
        'skip-checks': 'true',
        'magic-rollback': 'false',
        'auto-rollback': 'false',
        'confirm-timeout': '90',
        'activation-timeout': '600',
        'remote-build': 'true',
        'ssh-user': 'ops',
        'ssh-opts': '-p 2222',
      },
      run,
    );
    expect(statuses(outcome.results)).toEqual({ media: 'dry-activated', homeserver: 'dry-activated' });
    const [first] = await fake.invocations();
    const sshOpts = first?.argv.find((arg) => arg.startsWith('--ssh-opts='));
    expect(first?.argv.filter((arg) => arg !== sshOpts)).toEqual([
      '--targets',
      '.#media',
      '--skip-checks',
      '--dry-activate',
      '--rollback-succeeded',
      'false',
      '--magic-rollback',
      'false',
      '--auto-rollback',
      'false',
      '--confirm-timeout',
      '90',
      '--activation-timeout',
      '600',
      '--remote-build',
      '--ssh-user',
      'ops',
    ]);
    expect(sshOpts).toMatch(
      new RegExp(
        `^--ssh-opts=-o UserKnownHostsFile=${runnerTemp}/flakeflow-deploy-ssh-\\w+/known_hosts -o StrictHostKeyChecking=yes -o ControlPath=none -o BatchMode=yes -p 2222$`,
      ),
    );
  });

  it('passes --boot, and leaves rollback to the flake when the inputs keep their defaults', async () => {
    const { fake, run } = await setup([{ name: 'media', sshOpts: ['-p', '2200'] }], { latencyMs: 40 });
    const outcome = await runDeploy({ boot: 'true' }, run);
    expect(outcome.results[0]).toMatchObject({
      status: 'deployed',
      message: 'installed as the boot default; active after the next reboot',
    });
    const [call] = await fake.invocations();
    expect(call?.argv).toContain('--boot');
    expect(call?.argv.join(' ')).not.toMatch(
      /--magic-rollback|--auto-rollback|--rollback-succeeded|--dry-activate/,
    );
    // --ssh-opts replaces the flake's sshOpts, so the node's own come along.
    expect(call?.argv.at(-1)).toMatch(/ -o BatchMode=yes -p 2200$/);
  });

  it('on cancellation starts no further node, lets the running one finish and reports the rest as skipped', async () => {
    const { fake, run } = await setup(SIX, { latencyMs: 400 });
    const controller = new AbortController();
    run.environment.signal = controller.signal;
    const cancelOnceStarted = async () => {
      while ((await fake.invocations()).length === 0) await new Promise((done) => setTimeout(done, 20));
      controller.abort();
    };
    const [outcome] = await Promise.all([runDeploy({}, run), cancelOnceStarted()]);
    expect(outcome.cancelled).toBe(true);
    expect(outcome.stoppedBecause).toBe('the run was cancelled');
    expect(statuses(outcome.results)).toMatchObject({
      media: 'deployed',
      homeserver: 'skipped',
      printer: 'skipped',
    });
    expect(await fake.invocations()).toHaveLength(1);
  });

  it('uses the tags and wave attributes of the example fleet', async () => {
    const dir = join(root, `example-${++counter}`);
    const fleet = await materializeExampleFleet(dir);
    const runnerTemp = join(dir, 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const fake = await fakeDeploy(join(dir, 'fake'), { latencyMs: 40 });
    const run = inProcessEnvironment(fleet.flakeDir, runnerTemp, fake.env);

    const waves = await runDeploy({ strategy: 'waves' }, run);
    expect(waves.plan.waves.map((wave) => wave.nodes.map((node) => node.name))).toEqual([
      ['media'],
      ['homeserver'],
      ['gateway', 'pi'],
    ]);
    expect(waves.results.map((result) => result.status)).toEqual([
      'deployed',
      'deployed',
      'deployed',
      'deployed',
    ]);

    const edge = await runDeploy({ targets: '@edge, homeserver', strategy: 'canary' }, run);
    expect(edge.plan.waves.map((wave) => wave.nodes.map((node) => node.name))).toEqual([
      ['gateway'],
      ['pi', 'homeserver'],
    ]);

    await expect(runDeploy({ targets: '@db' }, run)).rejects.toThrow(
      "Input 'targets' names unknown tag '@db'; known tags: @arm, @canary, @edge, @network, @servers, @storage",
    );
  });
});

describe('nodes that failed before anything on them changed (untouched)', () => {
  const node = (name: string): DeployNode => ({ name, hostname: name, tags: [], sshOpts: [] });
  const plan = (onFailure: RolloutPlan['onFailure']): RolloutPlan => ({
    strategy: 'canary',
    parallel: 2,
    onFailure,
    waves: [
      { number: 1, nodes: [node('canary')] },
      { number: 2, nodes: [node('a'), node('b'), node('c')] },
      { number: 3, nodes: [node('d')] },
    ],
  });
  const deployer =
    (untouched: readonly string[]): DeployOneNode =>
    async (target, wave) =>
      untouched.includes(target.name)
        ? { node: target.name, wave: wave.number, status: 'failed', message: 'copy failed', untouched: true }
        : { node: target.name, wave: wave.number, status: 'deployed', message: 'ok' };
  const statuses = (outcome: Awaited<ReturnType<typeof executeRollout>>) =>
    outcome.results.map((result) => `${result.node}:${result.status}`);

  it('fail alone under halt: the rest of their wave and the next waves go on', async () => {
    const outcome = await executeRollout(plan('halt'), deployer(['b']), new AbortController().signal);
    expect(statuses(outcome)).toEqual([
      'canary:deployed',
      'a:deployed',
      'b:failed',
      'c:deployed',
      'd:deployed',
    ]);
    expect(outcome.stoppedBecause).toBeUndefined();
  });

  it('halt the rollout when no node of their wave could be activated, as a canary whose copy failed', async () => {
    const outcome = await executeRollout(plan('halt'), deployer(['canary']), new AbortController().signal);
    expect(statuses(outcome)).toEqual(['canary:failed', 'a:skipped', 'b:skipped', 'c:skipped', 'd:skipped']);
    expect(outcome.stoppedBecause).toMatch(/no node of wave 1 could be activated/);
    const going = await executeRollout(plan('continue'), deployer(['canary']), new AbortController().signal);
    expect(statuses(going)).toEqual([
      'canary:failed',
      'a:deployed',
      'b:deployed',
      'c:deployed',
      'd:deployed',
    ]);
  });
});

describe('the rollout stopping', () => {
  const node = (name: string): DeployNode => ({ name, hostname: name, tags: [], sshOpts: [] });
  const plan: RolloutPlan = {
    strategy: 'all-at-once',
    parallel: 2,
    onFailure: 'halt',
    waves: [{ number: 1, nodes: [node('a'), node('b'), node('c')] }],
  };

  it('tells the nodes still running why, as soon as a failure halts it', async () => {
    const stopped = new AbortController();
    let seenByB: unknown;
    const deployOne: DeployOneNode = async (target, wave) => {
      if (target.name === 'b') {
        // b is still busy (say, waiting for its copy) when a fails.
        await new Promise((resolve) => stopped.signal.addEventListener('abort', resolve, { once: true }));
        seenByB = stopped.signal.reason;
        return { node: 'b', wave: wave.number, status: 'skipped', message: 'stopped' };
      }
      return { node: target.name, wave: wave.number, status: 'failed', message: 'activation failed' };
    };

    const outcome = await executeRollout(plan, deployOne, new AbortController().signal, stopped);

    expect(outcome.results.map((result) => `${result.node}:${result.status}`)).toEqual([
      'a:failed',
      'b:skipped',
      'c:skipped',
    ]);
    expect(outcome.stoppedBecause).toBe('halted after a failed');
    expect(seenByB).toEqual(new Error('halted after a failed'));
  });

  it('leaves it unaborted when every node ran', async () => {
    const stopped = new AbortController();
    const deployOne: DeployOneNode = async (target, wave) => ({
      node: target.name,
      wave: wave.number,
      status: 'deployed',
      message: 'ok',
    });

    await executeRollout(plan, deployOne, new AbortController().signal, stopped);

    expect(stopped.signal.aborted).toBe(false);
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read
/**
 * deploy and backup-verify reach the fleet with its secrets, from a runner inside its network: they
 * never run for a fork, nor for a pull request from one — neither their reusable workflows nor the
 * actions themselves, should someone call them from a workflow of their own. (deploy.yml's guard is
 * proven by test/workflows/deploy.test.ts; actionlint, `run:` interpolation, job permissions and
 * pull_request_target by test/workflows/actionlint.test.ts and wiring.test.ts.)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkOf } from '../../src/core/forks.js';
import { fakeDeploy, KNOWN_HOSTS } from '../deploy/support.js';
import { errorLines, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { type Contexts, condition } from '../workflows/expression.js';
import { readWorkflow } from '../workflows/support.js';
import { FleetTemplate, recordingPrograms, requireBundles } from './support.js';

const HOME = { full_name: 'alice/homelab', fork: false };
const FORK = { full_name: 'mallory/homelab', fork: true };

/** Event payloads, as GitHub sends them, for the cases that matter. */
const EVENTS: Array<{ name: string; event: string; payload: Record<string, unknown>; fork?: string }> = [
  { name: 'a schedule in the repository', event: 'schedule', payload: { repository: HOME } },
  { name: 'a dispatch in the repository', event: 'workflow_dispatch', payload: { repository: HOME } },
  {
    name: 'a dispatch in a fork',
    event: 'workflow_dispatch',
    payload: { repository: FORK },
    fork: 'mallory/homelab, a fork',
  },
  {
    name: 'a pull request from a branch of the repository',
    event: 'pull_request',
    payload: { repository: HOME, pull_request: { number: 7, head: { repo: HOME } } },
  },
  {
    name: 'a pull request from a fork',
    event: 'pull_request',
    payload: { repository: HOME, pull_request: { number: 8, head: { repo: FORK } } },
    fork: 'a pull request (#8) from mallory/homelab, a fork',
  },
  {
    name: 'a pull request from a fork that was deleted since',
    event: 'pull_request',
    payload: { repository: HOME, pull_request: { number: 9, head: { repo: null } } },
    fork: 'a pull request (#9) from a deleted fork',
  },
];

function contexts(event: string, payload: Record<string, unknown>): Contexts {
  return {
    github: { event_name: event, repository: HOME.full_name, event: payload as Contexts },
    inputs: {},
  };
}

describe('backup-verify.yml runs its job only for the repository itself', () => {
  const verify = readWorkflow('.github/workflows/backup-verify.yml').jobs.verify;

  it.each(EVENTS)('$name', ({ event, payload, fork }) => {
    expect(condition(verify.if, contexts(event, payload))).toBe(fork === undefined);
  });
});

describe('fleet-status.yml runs its job only for the repository itself', () => {
  const status = readWorkflow('.github/workflows/fleet-status.yml').jobs.status;

  it.each(EVENTS)('$name', ({ event, payload, fork }) => {
    expect(condition(status.if, contexts(event, payload))).toBe(fork === undefined);
  });
});

describe('forkOf reads the event payload', () => {
  it.each(EVENTS)('$name', ({ payload, fork }) => {
    expect(forkOf(payload)).toBe(fork);
  });
});

describeEachVersion(NIX_VERSIONS, 'the actions that reach the fleet refuse forks themselves', () => {
  let dir: string;
  let template: FleetTemplate;

  beforeAll(async () => {
    requireBundles(['deploy', 'backup-verify', 'status']);
    dir = await makeTempDir('hardening-forks');
    template = await FleetTemplate.create(dir);
  });
  afterAll(() => removeTempDir(dir));

  const refused = EVENTS.filter((entry) => entry.fork !== undefined);

  it.each(refused)('deploy, even with allow-pull-request: $name', async ({ event, payload, fork }) => {
    const checkout = await template.checkout();
    const fake = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), {});
    const run = await runAction({
      action: 'deploy',
      workspace: checkout.workspace,
      env: fake.env,
      event: { name: event, payload },
      inputs: { 'known-hosts': KNOWN_HOSTS, 'allow-pull-request': 'true' },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `Refusing to run deploy for ${fork}: it reaches the fleet with its secrets, so it runs only for the repository itself`,
    ]);
    expect(await fake.invocations()).toEqual([]);
  });

  it('deploy still runs for a pull request from the repository when allow-pull-request is true', async () => {
    const checkout = await template.checkout();
    const fake = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), { latencyMs: 20 });
    const [sameRepository] = EVENTS.filter((entry) => entry.event === 'pull_request');
    const run = await runAction({
      action: 'deploy',
      workspace: checkout.workspace,
      env: fake.env,
      event: { name: 'pull_request', payload: sameRepository?.payload ?? {} },
      inputs: { 'known-hosts': KNOWN_HOSTS, 'allow-pull-request': 'true', targets: 'media' },
    });
    expect(errorLines(run)).toEqual([]);
    expect((await fake.invocations()).map((call) => call.nodes.join())).toEqual(['media']);
  });

  it.each(refused)('backup-verify: $name', async ({ event, payload, fork }) => {
    const run = await runAction({
      action: 'backup-verify',
      event: { name: event, payload },
      inputs: { repositories: '- name: nas\n  repository: /srv/restic\n  password-env: NAS_PASSWORD' },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `Refusing to run backup-verify for ${fork}: it reaches the fleet with its secrets, so it runs only for the repository itself`,
    ]);
    expect(run.outputs).toEqual({});
  });

  it.each(refused)('status: $name', async ({ event, payload, fork }) => {
    const checkout = await template.checkout();
    const run = await runAction({
      action: 'status',
      workspace: checkout.workspace,
      event: { name: event, payload },
      inputs: { 'known-hosts': KNOWN_HOSTS },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `Refusing to run status for ${fork}: it reaches the fleet with its secrets, so it runs only for the repository itself`,
    ]);
    expect(run.outputs).toEqual({});
  });
});

describe('gate, hosts, build and report keep a fork off a self-hosted runner', () => {
  let dir: string;

  beforeAll(async () => {
    requireBundles(['gate', 'hosts', 'build', 'report']);
    dir = await makeTempDir('hardening-self-hosted');
  });
  afterAll(() => removeTempDir(dir));

  const ACTIONS: Array<{ action: string; inputs: Record<string, string> }> = [
    { action: 'gate', inputs: {} },
    { action: 'hosts', inputs: {} },
    { action: 'build', inputs: { host: 'media' } },
    { action: 'report', inputs: {} },
  ];
  const refused = EVENTS.filter((entry) => entry.fork !== undefined);
  const rows = ACTIONS.flatMap((row) => refused.map((entry) => ({ ...row, ...entry })));
  let runs = 0;

  async function runOn(runner: 'self-hosted' | 'github-hosted', row: (typeof rows)[number], allow = false) {
    const root = join(dir, `run-${++runs}`);
    const programs = await recordingPrograms(root);
    const workspace = join(root, 'checkout');
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, 'flake.nix'), '{ outputs = { self }: { }; }\n');
    const run = await runAction({
      action: row.action,
      workspace,
      event: { name: row.event, payload: row.payload },
      inputs: { ...row.inputs, ...(allow ? { 'allow-untrusted-on-self-hosted': 'true' } : {}) },
      env: { PATH: programs.path, RUNNER_ENVIRONMENT: runner },
    });
    return { run, started: await programs.started() };
  }

  it.each(rows)('$action refuses $name, starting nothing', async (row) => {
    const { run, started } = await runOn('self-hosted', row);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `Refusing to run ${row.action} for ${row.fork} on a self-hosted runner: its code would run on this machine; ` +
        'run it on a GitHub-hosted runner, or set allow-untrusted-on-self-hosted: true',
    ]);
    expect(started).toEqual([]);
    expect(run.outputs).toEqual({});
  });

  const [fromFork] = refused.filter((entry) => entry.event === 'pull_request');
  const forkRow = (action: string) => ({
    ...(ACTIONS.find((row) => row.action === action) as (typeof ACTIONS)[number]),
    ...(fromFork as (typeof EVENTS)[number]),
  });

  it.each(['gate', 'hosts'])('%s runs a fork on a GitHub-hosted runner as before', async (action) => {
    const { run, started } = await runOn('github-hosted', forkRow(action));
    expect(errorLines(run).join('\n')).not.toMatch(/^Refusing/);
    expect(started).toContain(action === 'gate' ? 'git' : 'nix');
  });

  it.each(['gate', 'hosts'])(
    '%s runs a fork on a self-hosted runner when allowed, and warns what that allows',
    async (action) => {
      const { run, started } = await runOn('self-hosted', forkRow(action), true);
      const warnings = run.commands.filter((command) => command.command === 'warning').map((c) => c.message);
      expect(warnings).toContain(
        `${action} runs for ${fromFork?.fork} on this self-hosted runner because allow-untrusted-on-self-hosted is true: ` +
          'that code runs on this machine, with whatever it can reach',
      );
      expect(errorLines(run).join('\n')).not.toMatch(/^Refusing/);
      expect(started.length).toBeGreaterThan(0);
    },
  );
});

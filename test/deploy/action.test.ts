import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { type ActionRun, errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  type FakeDeployScript,
  fakeDeploy,
  generateKeyPair,
  type KeyPair,
  KNOWN_HOSTS,
  writeFleet,
} from './support.js';

let root: string;
let key: KeyPair;
let counter = 0;

const FLEET = [
  { name: 'media', tags: ['canary', 'servers'], wave: 1 },
  { name: 'homeserver', tags: ['servers'], wave: 2 },
  { name: 'gateway', tags: ['edge'], wave: 3 },
  { name: 'pi', tags: ['edge'], wave: 3 },
];

beforeAll(async () => {
  await requireNix();
  if (!existsSync(join(repositoryRoot, 'dist', 'deploy', 'index.js')))
    throw new Error('run `npm run build` first');
  root = await makeTempDir('deploy-action');
  key = await generateKeyPair(new SpawnProcessRunner(new RecordingLogger()), join(root, 'id_test'));
});
afterAll(() => removeTempDir(root));

async function setup(script: FakeDeployScript) {
  const dir = join(root, `case-${++counter}`);
  const workspace = await writeFleet(join(dir, 'fleet'), FLEET);
  const fake = await fakeDeploy(join(dir, 'fake'), script);
  return { workspace, fake };
}

/** Key lines long enough to recognise; the armour lines are not secret. */
function keyBody(): string[] {
  return key.privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
}

/** Everything the main and post steps printed, less the add-mask commands that register secrets. */
function printedOutsideMasks(run: ActionRun): string {
  return [run.stdout, run.stderr, run.post?.stdout ?? '', run.post?.stderr ?? '']
    .join('\n')
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

function cleanupPaths(state: Record<string, string>): string[] {
  return JSON.parse(state['cleanup-paths'] ?? '[]') as string[];
}

describeEachVersion(NIX_VERSIONS, 'actions/deploy on the runner', () => {
  it('rolls out, sets the outputs and summary, keeps the key to a 0600 file that post removes', async () => {
    const { workspace, fake } = await setup({ latencyMs: 100 });
    const run = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { 'ssh-private-key': key.privateKey, 'known-hosts': KNOWN_HOSTS, parallel: '2' },
    });
    expect(errorLines(run)).toEqual([]);
    expect(run.exitCode).toBe(0);

    const result = JSON.parse(run.outputs.result as string) as {
      node: string;
      wave: number;
      status: string;
    }[];
    expect(result.map(({ node, wave, status }) => ({ node, wave, status }))).toEqual([
      { node: 'media', wave: 1, status: 'deployed' },
      { node: 'homeserver', wave: 2, status: 'deployed' },
      { node: 'gateway', wave: 2, status: 'deployed' },
      { node: 'pi', wave: 2, status: 'deployed' },
    ]);
    expect(result[0]).toEqual({
      node: 'media',
      wave: 1,
      status: 'deployed',
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      durationMs: expect.any(Number),
      message: 'activated and confirmed',
    });
    expect(run.outputs.deployed).toBe('media,homeserver,gateway,pi');
    expect(run.outputs.failed).toBe('');
    const report = JSON.parse(await readFile(run.outputs.report as string, 'utf8')) as {
      nodes: unknown;
      waves: unknown;
    };
    expect(report.nodes).toEqual(result);
    expect(report.waves).toEqual([['media'], ['homeserver', 'gateway', 'pi']]);

    expect(run.summary).toContain('## ✅ Deploy: 4 deployed');
    expect(run.summary).toContain('### Wave 2\n\n| Node | Status | Duration | Message |');
    expect(run.summary).toContain('| `pi` | ✅ deployed |');
    expect(run.summary).toMatch(
      /```mermaid\ngantt\n {2}dateFormat x\n[\s\S]*section Wave 1\n {2}media ✅ :done, \d+, \d+\n/,
    );
    expect(
      run.commands
        .filter((command) => command.command === 'group')
        .map((command) => command.message)
        .sort(),
    ).toEqual(
      ['gateway', 'homeserver', 'media', 'pi'].map((name) =>
        expect.stringMatching(new RegExp(`^✅ ${name}: deployed in `)),
      ),
    );

    // While deploy-rs ran, the key was a 0600 file; the post step removed it.
    const invocations = await fake.invocations();
    expect(invocations.map((call) => call.keyMode)).toEqual(['600', '600', '600', '600']);
    const [directory] = cleanupPaths(run.state);
    expect(directory).toMatch(new RegExp(`^${run.runnerTemp}/flakeflow-deploy-ssh-`));
    expect(invocations[0]?.argv.at(-1)).toContain(`-i ${directory}/id_deploy -o IdentitiesOnly=yes`);
    expect(run.post?.exitCode).toBe(0);
    expect(existsSync(directory as string)).toBe(false);

    // The key is masked, and never appears in the log but inside its own add-mask command.
    expect(run.masks.some((mask) => mask.includes(keyBody()[0] as string))).toBe(true);
    for (const line of keyBody()) expect(printedOutsideMasks(run)).not.toContain(line);
  });

  it('fails the step with one line and still removes the key when a node rolls back', async () => {
    const { workspace, fake } = await setup({ latencyMs: 60, nodes: { homeserver: { mode: 'rollback' } } });
    const run = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { 'ssh-private-key': key.privateKey, 'known-hosts': KNOWN_HOSTS, strategy: 'one-by-one' },
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      'the activation script failed (exit 1); rolled back',
      'Deploy failed: homeserver rolled-back; 2 node(s) not deployed (halted after homeserver failed)',
    ]);
    expect(run.annotations[0]?.properties.title).toBe('deploy homeserver: rolled-back');
    expect(run.outputs.deployed).toBe('media');
    expect(run.outputs.failed).toBe('homeserver');
    expect(run.summary).toContain('## ❌ Deploy: 1 deployed, 1 failed, 2 skipped');
    expect(run.summary).toContain('Rollout stopped: halted after homeserver failed.');
    expect(run.summary).toContain(
      '| `gateway` | ⏭️ skipped |  | not started: halted after homeserver failed |',
    );
    expect(run.post?.exitCode).toBe(0);
    for (const path of cleanupPaths(run.state)) expect(existsSync(path)).toBe(false);
  });

  it('refuses pull_request and pull_request_target events unless allow-pull-request is true', async () => {
    const { workspace, fake } = await setup({ latencyMs: 40 });
    for (const name of ['pull_request', 'pull_request_target']) {
      const run = await runAction({
        action: 'deploy',
        workspace,
        env: fake.env,
        event: { name, payload: { number: 7 } },
        inputs: { 'ssh-private-key': key.privateKey, 'known-hosts': KNOWN_HOSTS },
      });
      expect(run.exitCode).toBe(1);
      expect(errorLines(run)).toEqual([
        `Refusing to deploy from a ${name} event, which runs code not yet reviewed: deploy on push or workflow_dispatch, or set 'allow-pull-request: true' if this is really wanted`,
      ]);
      expect(cleanupPaths(run.state)).toEqual([]);
    }
    expect(await fake.invocations()).toEqual([]);
    const allowed = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      event: { name: 'pull_request', payload: { number: 7 } },
      inputs: { 'known-hosts': KNOWN_HOSTS, 'allow-pull-request': 'true', targets: 'media' },
    });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.outputs.deployed).toBe('media');
  });

  it('refuses to run without pinned host keys unless strict-host-key-checking is false, then warns', async () => {
    const { workspace, fake } = await setup({ latencyMs: 40 });
    const refused = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { targets: 'media' },
    });
    expect(refused.exitCode).toBe(1);
    expect(errorLines(refused)).toEqual([
      "Input 'known-hosts' is required to pin the nodes' host keys (the lines `ssh-keyscan <host>` prints); set 'strict-host-key-checking: false' to accept unknown keys on first use instead",
    ]);
    expect(await fake.invocations()).toEqual([]);

    const loose = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { targets: 'media', 'strict-host-key-checking': 'false' },
    });
    expect(loose.exitCode).toBe(0);
    expect(loose.annotations.map((annotation) => `${annotation.command}: ${annotation.message}`)).toEqual([
      "warning: strict-host-key-checking is false and no known-hosts were given: the nodes' host keys are accepted on first use, not verified; pin them with the known-hosts input",
    ]);
    const [call] = await fake.invocations();
    expect(call?.argv.at(-1)).toContain('-o StrictHostKeyChecking=accept-new');
    expect(call?.argv.at(-1)).not.toContain('StrictHostKeyChecking=no');
  });

  it('on SIGTERM finishes the running node, starts no other, reports and cleans up', async () => {
    const { workspace, fake } = await setup({ latencyMs: 5000 });
    const run = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      cancel: { afterMs: 2500, signal: 'SIGTERM' },
      inputs: { 'ssh-private-key': key.privateKey, 'known-hosts': KNOWN_HOSTS },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('Received SIGTERM');
    expect(errorLines(run)).toEqual(['Deploy failed: 3 node(s) not deployed (the run was cancelled)']);
    const result = JSON.parse(run.outputs.result as string) as {
      node: string;
      status: string;
      message: string;
    }[];
    expect(result.map(({ node, status }) => `${node} ${status}`)).toEqual([
      'media deployed',
      'homeserver skipped',
      'gateway skipped',
      'pi skipped',
    ]);
    expect(result[1]?.message).toBe('not started: the run was cancelled');
    expect((await fake.invocations()).map((call) => [call.nodes[0], call.exitCode])).toEqual([['media', 0]]);
    expect(run.post?.exitCode).toBe(0);
    const paths = cleanupPaths(run.state);
    expect(paths).toHaveLength(1);
    for (const path of paths) expect(existsSync(path)).toBe(false);
  });

  it('names the bad input in one line', async () => {
    const { workspace, fake } = await setup({});
    const run = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { targets: 'media, web', 'known-hosts': KNOWN_HOSTS },
    });
    expect(errorLines(run)).toEqual([
      "Input 'targets' names unknown node 'web'; known nodes: gateway, homeserver, media, pi",
    ]);
    const badKey = await runAction({
      action: 'deploy',
      workspace,
      env: fake.env,
      inputs: { 'ssh-private-key': 'hunter2-not-a-key', 'known-hosts': KNOWN_HOSTS },
    });
    expect(errorLines(badKey)).toEqual([
      "Input 'ssh-private-key' must be a private key (-----BEGIN OPENSSH PRIVATE KEY----- …), got something else",
    ]);
    expect(printedOutsideMasks(badKey)).not.toContain('hunter2-not-a-key');
    expect(badKey.post?.exitCode).toBe(0);
    for (const path of cleanupPaths(badKey.state)) expect(existsSync(path)).toBe(false);
  });
});

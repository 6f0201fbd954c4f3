import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GitHubDeployments } from '../../src/deploy/github-deployments.js';
import { FAKE_TOKEN, useFakeGitHub } from '../fake-github/index.js';
import { errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  type FakeDeployScript,
  fakeDeploy,
  inProcessEnvironment,
  KNOWN_HOSTS,
  runDeploy,
  writeFleet,
} from './support.js';

const github = useFakeGitHub({ repositories: ['octo-org/homelab'] });
const REPOSITORY = { owner: 'octo-org', repo: 'homelab' };

let root: string;
let counter = 0;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('deploy-github');
});
afterAll(() => removeTempDir(root));

const FLEET = [
  { name: 'media', tags: ['canary'], wave: 1 },
  { name: 'homeserver', wave: 2 },
  { name: 'gateway', wave: 3 },
];

async function setup(script: FakeDeployScript) {
  const dir = join(root, `case-${++counter}`);
  const workspace = await writeFleet(join(dir, 'fleet'), FLEET);
  const runnerTemp = join(dir, 'temp');
  await mkdir(runnerTemp, { recursive: true });
  const fake = await fakeDeploy(join(dir, 'fake'), script);
  return { workspace, runnerTemp, fake };
}

function recorder(sha: string, logger = github.logger) {
  return new GitHubDeployments(github.client, {
    repository: REPOSITORY,
    ref: sha,
    environmentPrefix: 'nixos/',
    logUrl: 'https://github.com/octo-org/homelab/actions/runs/42',
    logger,
  });
}

describeEachVersion(NIX_VERSIONS, 'GitHub deployments', () => {
  it('records one deployment per node that ran, with in_progress then success or failure', async () => {
    const repo = github.server.repo('octo-org/homelab');
    const sha = repo.branch('main') as string;
    const { workspace, runnerTemp, fake } = await setup({
      latencyMs: 40,
      nodes: { homeserver: { mode: 'rollback' } },
    });
    const run = inProcessEnvironment(workspace, runnerTemp, fake.env, { deployments: recorder(sha) });
    const outcome = await runDeploy({ strategy: 'waves' }, run);
    expect(outcome.results.map((result) => result.status)).toEqual(['deployed', 'rolled-back', 'skipped']);

    expect(
      repo.deployments.map((deployment) => ({
        environment: deployment.environment,
        sha: deployment.sha,
        ref: deployment.ref,
        task: deployment.task,
        payload: deployment.payload,
        states: deployment.statuses.map((status) => status.state),
      })),
    ).toEqual([
      {
        environment: 'nixos/media',
        sha,
        ref: sha,
        task: 'deploy',
        payload: { node: 'media', wave: 1, tool: 'deploy-rs' },
        states: ['in_progress', 'success'],
      },
      {
        environment: 'nixos/homeserver',
        sha,
        ref: sha,
        task: 'deploy',
        payload: { node: 'homeserver', wave: 2, tool: 'deploy-rs' },
        states: ['in_progress', 'failure'],
      },
    ]);
    const failure = repo.deployments[1]?.statuses.at(-1);
    expect(failure?.description).toBe('rolled-back: the activation script failed (exit 1); rolled back');
    expect(failure?.logUrl).toBe('https://github.com/octo-org/homelab/actions/runs/42');
  });

  it('warns once and deploys on when the token may not write deployments', async () => {
    const sha = github.server.repo('octo-org/homelab').branch('main') as string;
    github.server.injectFault({
      method: 'POST',
      path: /\/deployments$/,
      status: 403,
      message: 'Resource not accessible by integration',
    });
    const { workspace, runnerTemp, fake } = await setup({ latencyMs: 40 });
    const run = inProcessEnvironment(workspace, runnerTemp, fake.env);
    run.environment.deployments = recorder(sha, run.logger);
    const outcome = await runDeploy({}, run);
    expect(outcome.results.map((result) => result.status)).toEqual(['deployed', 'deployed', 'deployed']);
    const warnings = run.logger.lines.filter((line) => line.level === 'warning').map((line) => line.message);
    expect(warnings).toEqual([
      'Could not record GitHub deployments (HTTP 403): give the job `permissions: deployments: write`; the rollout goes on without them',
    ]);
    expect(github.server.requestsMatching({ method: 'POST', path: /\/deployments$/ })).toHaveLength(1);
  });

  it('records nothing for a dry activation, which changes nothing', async () => {
    const repo = github.server.repo('octo-org/homelab');
    const { workspace, runnerTemp, fake } = await setup({ latencyMs: 40 });
    const run = inProcessEnvironment(workspace, runnerTemp, fake.env, {
      deployments: recorder(repo.branch('main') as string),
    });
    const outcome = await runDeploy({ 'dry-activate': 'true' }, run);
    expect(outcome.results.map((result) => result.status)).toEqual([
      'dry-activated',
      'dry-activated',
      'dry-activated',
    ]);
    expect(repo.deployments).toEqual([]);
  });

  it('the action records deployments through the runner token and API URL', async () => {
    if (!existsSync(join(repositoryRoot, 'dist', 'deploy', 'index.js')))
      throw new Error('run `npm run build` first');
    const repo = github.server.repo('octo-org/homelab');
    const sha = repo.branch('main') as string;
    const { workspace, fake } = await setup({ latencyMs: 40 });
    const run = await runAction({
      action: 'deploy',
      workspace,
      githubToken: FAKE_TOKEN,
      env: {
        ...fake.env,
        GITHUB_API_URL: github.server.url,
        GITHUB_GRAPHQL_URL: github.server.graphqlUrl,
        GITHUB_SHA: sha,
      },
      // Octokit spaces writes a second apart, three per node: two nodes keep the test short.
      inputs: {
        targets: 'media, gateway',
        'known-hosts': KNOWN_HOSTS,
        'github-deployments': 'true',
        'environment-prefix': 'homelab/',
      },
    });
    expect(errorLines(run)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(
      repo.deployments.map((deployment) => [deployment.environment, deployment.statuses.map((s) => s.state)]),
    ).toEqual([
      ['homelab/media', ['in_progress', 'success']],
      ['homelab/gateway', ['in_progress', 'success']],
    ]);
    expect(repo.deployments[0]?.statuses[0]?.logUrl).toBe(
      'https://github.com/octo-org/homelab/actions/runs/1',
    );
    expect(run.visibleLog).not.toContain(FAKE_TOKEN);
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { git } from '../../src/demo/git-repo.js';
import { FAKE_TOKEN, type FakeGitHub, type FakeRepository, startFakeGitHub } from '../fake-github/index.js';
import { type ActionRun, runAction } from '../harness/run-action.js';
import { type FleetWorkspace, fleetWorkspace } from './fleet-fixture.js';

export const SLUG = 'octo-org/homelab';

/** A workflow the update can dispatch on its branch, as a fleet repository would have. */
export const PR_CHECKS_WORKFLOW = `name: pr-checks
on:
  pull_request:
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
`;

/** The files of the fleet checkout, as GitHub holds them on the default branch. */
export async function checkoutFiles(workspace: string): Promise<Record<string, string>> {
  const runner = new SpawnProcessRunner(new RecordingLogger());
  const listed = await git(runner, workspace, ['ls-files']);
  const files: Record<string, string> = {};
  for (const path of listed.split('\n').filter(Boolean))
    files[path] = await readFile(join(workspace, path), 'utf8');
  return { ...files, '.github/workflows/pr-checks.yml': PR_CHECKS_WORKFLOW };
}

export async function startFleetGitHub(
  fixture: FleetWorkspace,
): Promise<{ server: FakeGitHub; repo: FakeRepository }> {
  const server = await startFakeGitHub({
    repositories: [{ slug: SLUG, files: await checkoutFiles(fixture.workspace) }],
    token: FAKE_TOKEN,
  });
  return { server, repo: server.repo(SLUG) };
}

/** Runs the built lock-update bundle in the fleet checkout against the fake GitHub. */
export function runLockUpdate(
  fixture: FleetWorkspace,
  server: FakeGitHub,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction({
    action: 'lock-update',
    workspace: fixture.workspace,
    inputs: { 'stale-days': '0', ...inputs },
    env: { ...env, GITHUB_API_URL: server.url, GITHUB_GRAPHQL_URL: server.graphqlUrl },
    githubToken: FAKE_TOKEN,
  });
}

/** What a fresh checkout of the base branch would hold: the workspace's flake.lock as GitHub has it. */
export async function checkOutBase(fixture: FleetWorkspace, repo: FakeRepository): Promise<void> {
  const lock = repo.readFile(repo.defaultBranch, 'flake.lock');
  if (lock === undefined) throw new Error('the base has no flake.lock');
  await writeFile(join(fixture.workspace, 'flake.lock'), lock);
}

export interface FleetOnGitHub {
  fixture: FleetWorkspace;
  server: FakeGitHub;
  repo: FakeRepository;
  run(inputs?: Record<string, string>): Promise<ActionRun>;
}

/**
 * A fresh fleet checkout and fake GitHub for one test, closed afterwards; the test fails if any
 * request broke GitHub's contract. Self-contained, so tests can run concurrently: most of a run is
 * octokit's spacing between writes, idle time that overlaps well.
 */
export async function withFleetOnGitHub(
  test: (fleet: FleetOnGitHub) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const fixture = await fleetWorkspace();
  try {
    const { server, repo } = await startFleetGitHub(fixture);
    try {
      await test({ fixture, server, repo, run: (inputs) => runLockUpdate(fixture, server, inputs, env) });
      server.assertNoViolations();
    } finally {
      await server.close();
    }
  } finally {
    await fixture.dispose();
  }
}

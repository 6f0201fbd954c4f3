import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultFileOf } from '../../src/build/build-result.js';
import type { HostEntry } from '../../src/hosts/matrix.js';
import { REPORT_MARKER } from '../../src/report/sticky-comment.js';
import { eventPayload } from '../fake-github/events.js';
import { FAKE_TOKEN, useFakeGitHub } from '../fake-github/testing.js';
import { errorLines, repositoryRoot, runAction } from '../harness/run-action.js';

const github = useFakeGitHub({ repositories: ['octo-org/homelab'], token: FAKE_TOKEN });
let workspace: string;

const hosts: HostEntry[] = [
  {
    host: 'media',
    kind: 'nixos',
    status: 'build',
    reason: 'changed since origin/main',
    system: 'x86_64-linux',
  },
  {
    host: 'pi',
    kind: 'nixos',
    status: 'build',
    reason: 'changed since origin/main',
    system: 'aarch64-linux',
  },
  {
    host: 'laptop',
    kind: 'darwin',
    status: 'unchanged',
    reason: 'same derivation as origin/main',
    system: 'aarch64-darwin',
  },
];

async function writeResult(host: string, status: 'built' | 'failed') {
  const dir = join(workspace, 'flakeflow-results', `result-${host}`);
  await mkdir(dir, { recursive: true });
  const result =
    status === 'built'
      ? { host, status, closureSize: 4096 }
      : { host, status, error: `error: ${host} broke` };
  await writeFile(join(dir, `flakeflow-result-${host}.json`), JSON.stringify(resultFileOf([result])));
}

beforeAll(async () => {
  const bundle = join(repositoryRoot, 'dist', 'report', 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  workspace = await mkdtemp(join(tmpdir(), 'flakeflow-report-harness-'));
});
afterAll(() => rm(workspace, { recursive: true, force: true }));

describe('the built report action, run as the runner runs it', () => {
  it('is the one required check: fails while a host failed, passes once it is fixed, with one comment throughout', async () => {
    const repo = github.server.repo('octo-org/homelab');
    repo.seedBranch('pi', { 'flake.nix': '{ }\n' });
    const pull = repo.openPullRequest({ head: 'pi' });
    const run = () =>
      runAction({
        action: 'report',
        inputs: { hosts: JSON.stringify(hosts) },
        workspace,
        githubToken: FAKE_TOKEN,
        event: {
          name: 'pull_request',
          payload: eventPayload('pull_request', { repository: repo, number: pull.number }),
        },
        env: { GITHUB_API_URL: github.server.url, GITHUB_GRAPHQL_URL: github.server.graphqlUrl },
      });

    await writeResult('media', 'built');
    await writeResult('pi', 'failed');
    const failing = await run();
    expect(failing.exitCode).toBe(1);
    expect(errorLines(failing)).toEqual(['1 host(s) failed: pi']);
    expect(failing.outputs.passed).toBe('false');
    expect(JSON.parse(failing.outputs.failed as string)).toEqual(['pi']);
    expect(failing.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    expect(failing.summary).toContain('| `pi` | aarch64-linux | ❌ failed |');

    await writeResult('pi', 'built');
    const passing = await run();
    expect(errorLines(passing)).toEqual([]);
    expect(passing.exitCode).toBe(0);
    expect(passing.outputs.passed).toBe('true');
    expect(passing.outputs['comment-url']).toBe(failing.outputs['comment-url']);
    const comments = repo.commentsOn(pull.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body.startsWith(`${REPORT_MARKER}\n### ✅ Fleet build: 3 hosts`)).toBe(true);
    expect(passing.masks).toContain(FAKE_TOKEN);
  });
});

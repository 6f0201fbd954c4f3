import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_LABEL, syncBackupAlert } from '../../src/backup/alert.js';
import { repositoriesShape } from '../../src/backup/config.js';
import { runBackupVerify } from '../../src/backup/run.js';
import type { VerificationReport } from '../../src/backup/verification.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { NixCli } from '../../src/nix/cli.js';
import { FAKE_TOKEN, type FakeGitHub, startFakeGitHub, useFakeGitHub } from '../fake-github/index.js';
import { repositoryRoot, runAction } from '../harness/run-action.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { DAY, ResticLab, resticTime, type TestRepository } from './restic-fixtures.js';

const SLUG = 'octo-org/homelab';

function report(healthy: boolean, cancelled = false): VerificationReport {
  return {
    healthy,
    cancelled,
    startedAt: '2026-03-10T04:00:00.000Z',
    finishedAt: '2026-03-10T04:01:00.000Z',
    restic: 'restic 0.14.0',
    checks: ['open', 'freshness'],
    repositories: [],
    failures: healthy
      ? []
      : [
          {
            repository: 'nas',
            group: 'web [db]',
            check: 'freshness',
            kind: 'stale',
            message: 'the latest snapshot is old',
          },
        ],
  };
}

describe('the backup-alert issue through our GitHub client', () => {
  const github = useFakeGitHub({ repositories: [SLUG], validateResponses: true });
  const target = () => ({
    client: github.client,
    repository: { owner: 'octo-org', repo: 'homelab' },
    runUrl: 'https://github.com/octo-org/homelab/actions/runs/7',
  });

  it('leaves pull requests and other labels alone, updates the one open alert, and ignores a cancelled run', async () => {
    const repo = github.server.repo(SLUG);
    repo.openIssue({ title: 'unrelated', labels: ['bug'] });
    repo.seedBranch('feature', { a: 'a' });
    repo.openPullRequest({ head: 'feature', labels: [ALERT_LABEL] });
    const opened = await syncBackupAlert(report(false), target(), github.logger);
    expect(opened).toMatchObject({ action: 'opened', number: 3 });
    expect(await syncBackupAlert(report(false), target(), github.logger)).toMatchObject({
      action: 'updated',
      number: 3,
    });
    expect(await syncBackupAlert(report(true, true), target(), github.logger)).toEqual({ action: 'none' });
    expect(repo.issue(3)).toMatchObject({ state: 'open', labels: [ALERT_LABEL] });
    expect(repo.issue(3)?.body).toContain(
      'Found by [this run](https://github.com/octo-org/homelab/actions/runs/7)',
    );
    expect(await syncBackupAlert(report(true), target(), github.logger)).toMatchObject({
      action: 'closed',
      number: 3,
    });
    expect(repo.issue(3)).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(await syncBackupAlert(report(true), target(), github.logger)).toEqual({ action: 'none' });
    expect(repo.issue(1)?.state).toBe('open');
  });
});

describeEachVersion(RESTIC_VERSIONS, 'a GitHub outage while alerting', () => {
  const github = useFakeGitHub({ repositories: [SLUG] });

  it('leaves the verification result standing and warns', async () => {
    github.server.injectFault({
      path: '/repos/octo-org/homelab/issues',
      method: 'GET',
      status: 503,
      times: 10,
    });
    const lab = await ResticLab.create();
    try {
      const outcome = await runBackupVerify(
        {
          config: undefined,
          repositories: repositoriesShape.parse([
            { name: 'gone', repository: lab.path('nothing'), 'password-env': 'PW' },
          ]),
          'services-json': undefined,
          'flake-host': undefined,
          path: '.',
          checks: ['open'],
          concurrency: 1,
          'restic-command': ['restic'],
          'alert-issue': true,
          token: FAKE_TOKEN,
        },
        {
          runner: new SpawnProcessRunner(github.logger),
          logger: github.logger,
          clock: Date.now,
          environment: { ...process.env, PW: 'pw-for-nothing' },
          workspace: lab.root,
          runnerTemp: lab.path('runner-temp'),
          nix: new NixCli(new SpawnProcessRunner(github.logger)),
          nixAccess: { sshKeyGiven: false, tokenHosts: [] },
          alert: { client: github.client, repository: { owner: 'octo-org', repo: 'homelab' } },
        },
      );
      expect(outcome.report.failures.map((failure) => failure.kind)).toEqual(['missing-repository']);
      expect(outcome.alert).toBeUndefined();
      expect(outcome.annotations.at(-1)).toMatchObject({
        level: 'warning',
        message: expect.stringMatching(/^Could not update the backup-alert issue: /),
      });
      expect(github.server.repo(SLUG).issues()).toEqual([]);
    } finally {
      await lab.dispose();
    }
  });
});

describeEachVersion(
  RESTIC_VERSIONS,
  'alert-issue on the runner-exact harness against the fake GitHub',
  () => {
    let lab: ResticLab;
    let repo: TestRepository;
    let server: FakeGitHub;

    beforeAll(async () => {
      const bundle = join(repositoryRoot, 'dist', 'backup-verify', 'index.js');
      if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
      lab = await ResticLab.create();
      repo = await lab.repository('nas');
      const data = await lab.files('web', { 'index.html': '<h1>hi</h1>' });
      await repo.backup({
        host: 'web',
        tags: ['site'],
        paths: [data],
        time: resticTime(Date.now(), 2 * DAY),
      });
      server = await startFakeGitHub({ repositories: [SLUG], token: FAKE_TOKEN });
    });

    afterAll(async () => {
      server?.assertNoViolations();
      await server?.close();
      await lab?.dispose();
    });

    const verifyNas = (maxAge: string) =>
      runAction({
        action: 'backup-verify',
        inputs: {
          repositories: `[{name: nas, repository: ${repo.location}, password-file: ${repo.passwordFile}, max-age: ${maxAge}, groups: [{host: web, tags: [site]}]}]`,
          checks: 'open,freshness',
          'alert-issue': 'true',
        },
        githubToken: FAKE_TOKEN,
        env: { GITHUB_API_URL: server.url, GITHUB_GRAPHQL_URL: server.graphqlUrl, GITHUB_RUN_ID: '42' },
      });

    it('opens one issue labelled backup-alert while unhealthy, then closes it with a comment once healthy', async () => {
      const failing = await verifyNas('1d');
      expect(failing.exitCode).toBe(1);
      const issues = server.repo(SLUG).issues();
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({
        state: 'open',
        labels: [ALERT_LABEL],
        title: '❌ Backups need attention',
      });
      expect(issues[0]?.body).toContain('| nas | web [site] | freshness | `stale` |');
      expect(issues[0]?.body).toContain('https://github.com/octo-org/homelab/actions/runs/42');
      expect(issues[0]?.body).not.toContain(repo.password);

      const again = await verifyNas('1d');
      expect(again.exitCode).toBe(1);
      expect(server.repo(SLUG).issues()).toHaveLength(1);

      const healthy = await verifyNas('3d');
      expect(healthy.exitCode).toBe(0);
      expect(healthy.outputs.healthy).toBe('true');
      const [closed] = server.repo(SLUG).issues();
      expect(closed).toMatchObject({ state: 'closed', stateReason: 'completed' });
      const comments = server.repo(SLUG).commentsOn(closed?.number as number);
      expect(comments).toHaveLength(1);
      expect(comments[0]?.body).toMatch(
        /^✅ Every repository passed verification again at .* UTC \(\[run\]\(.*runs\/42\)\)\. Closing\.$/,
      );
    });
  },
);

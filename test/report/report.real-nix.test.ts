import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHosts } from '../../src/build/build-hosts.js';
import { resultFileOf } from '../../src/build/build-result.js';
import { buildInputs } from '../../src/build/inputs.js';
import { parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { commitAll } from '../../src/demo/git-repo.js';
import { reportInputs } from '../../src/report/inputs.js';
import { buildReport, type ReportSettings } from '../../src/report/report.js';
import { REPORT_MARKER } from '../../src/report/sticky-comment.js';
import { eventPayload } from '../fake-github/events.js';
import { useFakeGitHub } from '../fake-github/testing.js';
import { runHosts } from '../hosts/support.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

describeEachVersion(NIX_VERSIONS, 'report on real Nix', () => {
  const github = useFakeGitHub({ repositories: ['octo-org/homelab'] });
  let tempDir: string;
  let example: ExampleFleet;
  let hostsOutput: string;

  /** hosts → build → report as a workflow runs them: pi changed, built and compared with the commit before. */
  beforeAll(async () => {
    const { runner } = await requireNix();
    tempDir = await makeTempDir('report');
    example = await materializeExampleFleet(join(tempDir, 'example'));
    const logger = new RecordingLogger();
    const build = (raw: Record<string, string>, resultDir: string) =>
      buildHosts(
        parseInputs(buildInputs, (name) => raw[name]),
        {
          runner: new SpawnProcessRunner(logger),
          logger,
          workspace: example.rootDir,
          tempDir,
          resultDir,
        },
      );
    await build({ path: 'homelab', host: 'pi' }, join(tempDir, 'before'));
    const module = join(example.flakeDir, 'hosts', 'pi', 'default.nix');
    await writeFile(
      module,
      (await readFile(module, 'utf8')).replace(
        '{\n  imports',
        '{\n  system.nixos.release = "25.05";\n  imports',
      ),
    );
    await commitAll(runner, example.flakeDir, 'pi: 25.05');
    const { result } = await runHosts(example.rootDir, tempDir, {
      path: 'homelab',
      'changed-since': 'HEAD~1',
    });
    hostsOutput = JSON.stringify(result.hosts);
    const pi = result.matrix[0];
    await build(
      {
        path: 'homelab',
        host: pi?.host ?? '',
        attr: pi?.attr ?? '',
        'drv-path': pi?.drvPath ?? '',
        'compare-to': 'HEAD~1',
      },
      join(example.rootDir, 'results', 'result-pi'),
    );
  });
  afterAll(() => removeTempDir(tempDir));

  function settings(raw: Record<string, string>): ReportSettings {
    return parseInputs(
      reportInputs,
      (name) => raw[name] ?? (name === 'token' ? 'ghs_fakeGitHubToken0123456789' : undefined),
    );
  }

  function report(raw: Record<string, string>, event: Record<string, unknown>) {
    const logger = new RecordingLogger();
    return buildReport(settings(raw), {
      context: {
        workspace: example.rootDir,
        repository: 'octo-org/homelab',
        event,
        sha: 'abcdef1234567890',
        serverUrl: 'https://github.com',
        runId: '42',
      },
      logger,
      github: () => github.client,
    });
  }

  describe('report', () => {
    it('writes one sticky comment and updates it in place on the next run', async () => {
      const repo = github.server.repo('octo-org/homelab');
      repo.seedBranch('pi-25.05', { 'flake.nix': '{ }\n' });
      const pull = repo.openPullRequest({ head: 'pi-25.05' });
      const event = eventPayload('pull_request', { repository: repo, number: pull.number });

      const first = await report({ results: 'results', hosts: hostsOutput }, event);
      expect(first.failed).toEqual([]);
      expect(first.rows.map((row) => [row.host, row.status])).toEqual([
        ['gateway', 'unchanged'],
        ['homeserver', 'unchanged'],
        ['media', 'unchanged'],
        ['pi', 'built'],
        ['laptop', 'unchanged'],
        ['alice@workstation', 'unchanged'],
      ]);
      expect(first.comment?.operation).toBe('created');
      const [comment] = repo.commentsOn(pull.number);
      expect(comment?.body.startsWith(REPORT_MARKER)).toBe(true);
      expect(comment?.body).toContain('<code>pi</code>: 1 package changed since <code>HEAD~1</code>');
      expect(comment?.body).toContain('| nixos-system-pi | 24.11 | 25.05 |');
      expect(first.summary).toContain('| `pi` | aarch64-linux | ✅ built |');
      expect(first.summary).not.toContain(REPORT_MARKER);

      await mkdir(join(example.rootDir, 'results', 'result-gateway'), { recursive: true });
      await writeFile(
        join(example.rootDir, 'results', 'result-gateway', 'flakeflow-result-gateway.json'),
        JSON.stringify(
          resultFileOf([{ host: 'gateway', status: 'failed', error: 'error: builder for gateway failed' }]),
        ),
      );
      const second = await report({ results: 'results', hosts: hostsOutput }, event);
      expect(second.comment).toEqual({ url: first.comment?.url, operation: 'updated' });
      expect(second.failed).toEqual(['gateway']);
      const comments = repo.commentsOn(pull.number);
      expect(comments).toHaveLength(1);
      expect(comments[0]?.body).toContain('### ❌ Fleet build: 6 hosts');
      expect(comments[0]?.body).toContain('error: builder for gateway failed');
      expect(github.server.requestsMatching({ operationId: 'issues/create-comment' })).toHaveLength(1);
      expect(github.server.requestsMatching({ operationId: 'issues/update-comment' })).toHaveLength(1);
    });

    it('writes no comment outside a pull request', async () => {
      const outcome = await report(
        { results: 'results', hosts: hostsOutput },
        eventPayload('push', { repository: 'octo-org/homelab' }),
      );
      expect(outcome.commentSkipped).toBe('not a pull request');
      expect(github.server.requestsMatching({ path: /comments/ })).toHaveLength(0);
    });

    it('keeps the report when GitHub refuses the comment', async () => {
      const repo = github.server.repo('octo-org/homelab');
      repo.seedBranch('x', { 'a.txt': 'a\n' });
      const pull = repo.openPullRequest({ head: 'x' });
      github.server.injectFault({
        path: `/repos/octo-org/homelab/issues/${pull.number}/comments`,
        method: 'POST',
        status: 403,
      });
      const outcome = await report(
        { results: 'results', hosts: hostsOutput },
        eventPayload('pull_request', { repository: repo, number: pull.number }),
      );
      expect(outcome.comment).toBeUndefined();
      expect(outcome.commentSkipped).toMatch(/^GitHub refused the comment \(403\)/);
      expect(outcome.summary).toContain('Fleet build');
    });
  });
});

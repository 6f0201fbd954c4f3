import { afterAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS_PER_REQUEST } from '../../src/gate/check-run.js';
import { REVIEW_MARKER } from '../../src/gate/suggestions.js';
import { renderSummary } from '../../src/gate/summary.js';
import { eventPayload } from '../fake-github/events.js';
import { useFakeGitHub } from '../fake-github/testing.js';
import { cleanUp, gate, git, repository, writeTree } from './support.js';

afterAll(cleanUp);

const SLUG = 'octo-org/homelab';
const github = useFakeGitHub({ repositories: [SLUG] });

/** 40 hosts with five dead let bindings each: 200 deadnix warnings. */
function manyFindings(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let host = 0; host < 40; host += 1) {
    const bindings = Array.from({ length: 5 }, (_, index) => `  dead${index} = ${index};`).join('\n');
    files[`hosts/host${String(host).padStart(2, '0')}.nix`] = `let\n${bindings}\nin { }\n`;
  }
  return files;
}

describe('check-run', () => {
  it('publishes all 200 findings as one check run, 50 annotations per request, and all reach the summary', async () => {
    const repo = github.server.repo(SLUG);
    const sha = repo.branch('main') as string;
    const dir = await repository(manyFindings());
    const { result } = await gate(
      dir,
      { tools: 'path', checks: 'deadnix', 'check-run': 'true' },
      { github: github.client, context: { repository: SLUG, sha, runId: '42' } },
    );
    expect(result.findings).toHaveLength(200);
    expect(repo.checkRuns).toHaveLength(1);
    const [run] = repo.checkRuns;
    expect(run).toMatchObject({
      name: 'flakeflow gate',
      headSha: sha,
      status: 'completed',
      conclusion: 'failure',
    });
    expect(run?.detailsUrl).toBe(`https://github.com/${SLUG}/actions/runs/42`);
    expect(run?.output.annotations).toHaveLength(200);
    expect(run?.output.title).toBe('❌ 200 warnings');
    expect(run?.output.annotations[0]).toMatchObject({
      path: 'hosts/host00.nix',
      start_line: 2,
      end_line: 2,
      start_column: 3,
      end_column: 8,
      annotation_level: 'warning',
      title: 'deadnix',
      message: 'Unused let binding: dead0',
    });
    const requests = github.server.requests.filter((request) => request.operationId?.startsWith('checks/'));
    expect(requests.map((request) => request.operationId)).toEqual([
      'checks/create',
      'checks/update',
      'checks/update',
      'checks/update',
    ]);
    for (const request of requests) {
      expect((request.body as { output: { annotations: unknown[] } }).output.annotations).toHaveLength(
        ANNOTATIONS_PER_REQUEST,
      );
    }
    expect(result.publication.checkRun?.requests).toBe(4);

    const summary = renderSummary(result, { serverUrl: 'https://github.com', repository: SLUG, sha });
    const lines = summary.split('\n').filter((line) => line.startsWith('| ⚠️ |'));
    expect(lines).toHaveLength(200);
    for (const finding of result.findings) {
      expect(summary).toContain(`(https://github.com/${SLUG}/blob/${sha}/${finding.file}#L${finding.line})`);
    }
    expect(summary).toContain('🔎 Every finding is annotated in the [flakeflow gate check run](');
  });

  it('completes a clean run in one request, on the pull request head', async () => {
    const repo = github.server.repo(SLUG);
    const head = repo.seedBranch('tidy', { 'hosts/a.nix': '{ }\n' });
    const dir = await repository({ 'hosts/a.nix': '{ }\n' });
    const { result } = await gate(
      dir,
      { tools: 'path', 'check-run': 'true', files: 'all' },
      {
        github: github.client,
        context: {
          repository: SLUG,
          sha: repo.branch('main'),
          eventName: 'pull_request',
          event: eventPayload('pull_request', { repository: SLUG, headSha: head }),
        },
      },
    );
    expect(result.passed).toBe(true);
    expect(repo.checkRuns).toEqual([
      expect.objectContaining({ headSha: head, status: 'completed', conclusion: 'success' }),
    ]);
    expect(
      github.server.requests.filter((request) => request.operationId?.startsWith('checks/')),
    ).toHaveLength(1);
  });

  it('warns, without failing the gate, when the token may not write checks', async () => {
    const repo = github.server.repo(SLUG);
    github.server.injectFault({ path: `/repos/${SLUG}/check-runs`, method: 'POST', status: 403 });
    const dir = await repository({ 'a.nix': '{ }\n' });
    const { result, logger } = await gate(
      dir,
      { tools: 'path', 'check-run': 'true' },
      { github: github.client, context: { repository: SLUG, sha: repo.branch('main') } },
    );
    expect(result.passed).toBe(true);
    expect(result.publication.warnings).toEqual([
      'check-run: the token may not do this (403); grant `permissions: checks: write` to the job. The findings are still in the annotations and the job summary.',
    ]);
    expect(logger.lines.filter((line) => line.level === 'warning').map((line) => line.message)).toEqual(
      result.publication.warnings,
    );
  });
});

const BASE_FILES = {
  'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
  'hosts/media.nix': '{ config, ... }:\n{\n  networking.hostName = "media";\n}\n',
  'modules/common.nix': `let\n  keep = 1;\nin {\n  inherit keep;\n${Array.from({ length: 12 }, (_, i) => `  filler${i} = ${i};`).join('\n')}\n  late = late;\n}\n`,
};
const PR_FILES = {
  'hosts/media.nix':
    '{ config, lib, pkgs, ... }:\nlet\n  unused = "x";\n  helper = pkgs.hello;\nin {\n  networking.hostName = "media";\n  environment.systemPackages = [ helper ];\n  openFirewall = openFirewall;\n  f = x: config.y;\n}\n',
  'modules/common.nix': `let\n  keep = 1;\n  added = 2;\nin {\n  inherit keep;\n${Array.from({ length: 12 }, (_, i) => `  filler${i} = ${i};`).join('\n')}\n  late = late;\n}\n`,
};

async function pullRequestWorkspace() {
  const repo = github.server.repo(SLUG);
  repo.commitFiles('main', { files: BASE_FILES });
  const head = repo.seedBranch('tidy-media', PR_FILES);
  const pull = repo.openPullRequest({ head: 'tidy-media', title: 'Tidy media' });
  const dir = await repository(BASE_FILES);
  const base = await git(dir, 'rev-parse', 'HEAD');
  await writeTree(dir, PR_FILES);
  await git(dir, 'commit', '--quiet', '--all', '--message', 'tidy media');
  const context = {
    repository: SLUG,
    sha: head,
    eventName: 'pull_request',
    event: eventPayload('pull_request', {
      repository: SLUG,
      number: pull.number,
      headSha: head,
      baseSha: repo.branch('main'),
    }),
  };
  return { repo, head, pull, dir, base, context };
}

describe('suggestions', () => {
  it('posts one review with statix fixes and deadnix removals, on lines of the diff only', async () => {
    const { repo, head, dir, base, context } = await pullRequestWorkspace();
    const { result } = await gate(
      dir,
      { tools: 'path', checks: 'deadnix,statix', suggestions: 'true', 'base-ref': base, 'fail-on': 'never' },
      { github: github.client, context },
    );
    expect(result.findings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([
      'hosts/media.nix:1 Unused lambda pattern: lib',
      'hosts/media.nix:3 Unused let binding: unused',
      'hosts/media.nix:8 This assignment is better written with `inherit`',
      'hosts/media.nix:9 Unused lambda argument: x',
      'modules/common.nix:3 Unused let binding: added',
      'modules/common.nix:18 This assignment is better written with `inherit`',
    ]);
    expect(repo.reviews).toHaveLength(1);
    const [review] = repo.reviews;
    expect(review).toMatchObject({ state: 'COMMENTED', commitId: head });
    expect(review?.body).toContain(REVIEW_MARKER);
    expect(review?.body).toContain('**flakeflow gate**: 4 suggested fixes');
    expect(review?.comments.map((c) => [c.path, c.startLine, c.line, c.suggestion])).toEqual([
      ['hosts/media.nix', null, 1, '{ config, pkgs, ... }:\n'],
      ['hosts/media.nix', null, 3, ''],
      ['hosts/media.nix', null, 8, '  inherit openFirewall;\n'],
      ['modules/common.nix', null, 3, ''],
    ]);
    expect(review?.comments[0]?.body).toMatch(
      /^\*\*deadnix\*\* · Unused lambda pattern: lib: remove it\.\n\n```suggestion\n/,
    );
    expect(result.publication.review).toMatchObject({ posted: 4, replaced: 0, unchanged: false });
  });

  it('leaves the review alone when a new run suggests the same', async () => {
    const { repo, dir, base, context } = await pullRequestWorkspace();
    const inputs = {
      tools: 'path',
      checks: 'deadnix,statix',
      suggestions: 'true',
      'base-ref': base,
      'fail-on': 'never',
    };
    await gate(dir, inputs, { github: github.client, context });
    const again = await gate(dir, inputs, { github: github.client, context });
    expect(again.result.publication.review).toMatchObject({ posted: 0, unchanged: true });
    expect(repo.reviews).toHaveLength(1);
    expect(
      github.server.requests.filter((request) => request.operationId === 'pulls/create-review'),
    ).toHaveLength(1);
  });

  it('replaces its previous review when a push drops one of the suggested fixes', async () => {
    const { repo, pull, dir, base, context } = await pullRequestWorkspace();
    const inputs = {
      tools: 'path',
      checks: 'deadnix,statix',
      suggestions: 'true',
      'base-ref': base,
      'fail-on': 'never',
    };
    await gate(dir, inputs, { github: github.client, context });
    const fixed = {
      'hosts/media.nix': (PR_FILES['hosts/media.nix'] as string).replace('  unused = "x";\n', ''),
    };
    const newHead = repo.commitFiles('tidy-media', { files: fixed, message: 'drop unused' });
    await writeTree(dir, fixed);
    await git(dir, 'commit', '--quiet', '--all', '--message', 'drop unused');
    const pushed = {
      ...context,
      sha: newHead,
      event: eventPayload('pull_request', {
        repository: SLUG,
        number: pull.number,
        headSha: newHead,
        baseSha: repo.branch('main'),
      }),
    };
    const { result } = await gate(dir, inputs, { github: github.client, context: pushed });
    expect(result.publication.review).toMatchObject({ posted: 3, replaced: 1, unchanged: false });
    expect(repo.reviews).toHaveLength(2);
    const [old, current] = repo.reviews;
    expect(old?.comments).toEqual([]);
    expect(old?.body).not.toContain(REVIEW_MARKER);
    expect(old?.body).toContain('replaced by a newer review');
    expect(current).toMatchObject({ commitId: newHead });
    expect(current?.body).toContain(REVIEW_MARKER);
    expect(current?.comments.map((c) => [c.path, c.line])).toEqual([
      ['hosts/media.nix', 1],
      ['hosts/media.nix', 7],
      ['modules/common.nix', 3],
    ]);
  });

  it('posts nothing outside pull requests', async () => {
    const dir = await repository({ 'a.nix': 'let\n  unused = 1;\nin { }\n' });
    const { result } = await gate(
      dir,
      { tools: 'path', suggestions: 'true' },
      { github: github.client, context: { repository: SLUG } },
    );
    expect(result.publication).toEqual({ warnings: [] });
    expect(github.server.requests).toEqual([]);
  });
});

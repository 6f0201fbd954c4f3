import { beforeAll, describe, expect, it } from 'vitest';
import { advanceInput } from '../../src/demo/example-fleet.js';
import { errorLines } from '../harness/run-action.js';
import { NIX_VERSIONS, pathFor, requireVersion } from '../support/versions.js';
import { requireBundle } from './fleet-fixture.js';
import {
  checkOutBase,
  type FleetOnGitHub,
  SLUG,
  withFleetOnGitHub as withFleetOn,
} from './github-fixture.js';

const BRANCH = 'flakeflow/lock-update';

interface CommitInput {
  branch: { branchName: string };
  expectedHeadOid: string;
  fileChanges: { additions: { path: string; contents: string }[] };
  message: { headline: string; body: string };
}

function warnings(run: { annotations: { command: string; message: string }[] }): string[] {
  return run.annotations
    .filter((annotation) => annotation.command === 'warning')
    .map((warning) => warning.message);
}

/** The built bundle run as the runner runs it, with real Nix and git, against the fake GitHub. */
// Concurrent tests share process.env, so each run gets its version's PATH through the step's environment.
for (const version of NIX_VERSIONS) {
  describe.concurrent(`lock-update against GitHub (${version.label})`, () => {
    requireBundle('lock-update');
    beforeAll(() => requireVersion(version));
    const withFleetOnGitHub = (test: (fleet: FleetOnGitHub) => Promise<void>) =>
      withFleetOn(test, { PATH: pathFor(version) });

    it('creates the pull request: a verified createCommitOnBranch commit holding the new flake.lock', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        const main = repo.branch('main');
        const commit = await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run({
          'pr-labels': 'dependencies,nix',
          'pr-assignees': 'alice',
          'pr-reviewers': 'bob',
        });
        expect(errorLines(result)).toEqual([]);
        expect(result.exitCode).toBe(0);
        const newLock = await fixture.lockText();
        expect(newLock).toContain(commit.rev);

        const [pull, ...others] = repo.pullRequests({ state: 'all' });
        expect(others).toEqual([]);
        expect(pull).toMatchObject({ number: 1, state: 'open', draft: false, title: 'flake.lock: update' });
        expect(pull?.head.ref).toBe(BRANCH);
        expect(pull?.body).toContain('| **dotfiles** (main) |');
        expect(pull?.body).toContain('| `laptop` | nix-darwin | 🔄 changes |');
        expect(pull?.labels).toEqual(['dependencies', 'nix']);
        expect(repo.label('nix')).toBeDefined();
        expect(pull?.assignees).toEqual(['alice']);
        expect(pull?.requestedReviewers).toEqual(['bob']);
        expect(repo.readFile(BRANCH, 'flake.lock')).toBe(newLock);
        const head = repo.git.commit(repo.branch(BRANCH) as string);
        expect(head?.parents).toEqual([main]);
        expect(head?.verified).toBe(true);

        const mutations = server.requestsMatching({ graphqlOperation: 'createCommitOnBranch' });
        expect(mutations).toHaveLength(1);
        const input = mutations[0]?.graphql?.variables.input as CommitInput;
        expect(input.branch.branchName).toBe(BRANCH);
        expect(input.expectedHeadOid).toBe(main);
        expect(input.fileChanges.additions.map((addition) => addition.path)).toEqual(['flake.lock']);
        expect(Buffer.from(input.fileChanges.additions[0]?.contents ?? '', 'base64').toString('utf8')).toBe(
          newLock,
        );
        expect(input.message.headline).toBe('flake.lock: update');
        expect(input.message.body).toContain(`• Updated input 'dotfiles': `);

        expect(result.outputs).toMatchObject({
          changed: 'true',
          'pull-request-number': '1',
          'pull-request-url': `https://github.com/${SLUG}/pull/1`,
          'pull-request-operation': 'created',
        });
        expect(result.outputs.body).toBe(pull?.body);
        // auto-merge is on by default, and this repository does not allow it.
        expect(warnings(result)).toEqual([
          `Auto-merge is not allowed in ${SLUG}, so #1 stays open: turn on Settings → General → Pull Requests → "Allow auto-merge", or set \`auto-merge: false\``,
        ]);
        expect(pull?.autoMerge).toBeNull();
        expect(result.summary).toContain(
          '| 1 | ✅ 6 evaluate · 2 change | [#1](https://github.com/octo-org/homelab/pull/1) created | ⚠️ not allowed here |',
        );
      }));

    it('updates the open pull request with a new commit on top of the moved base, then leaves it unchanged', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        expect((await run({ 'auto-merge': 'false' })).outputs['pull-request-operation']).toBe('created');
        const firstHead = repo.branch(BRANCH);

        const moved = repo.commitFiles('main', { files: { 'README.md': '# homelab\n' }, message: 'Docs' });
        await checkOutBase(fixture, repo);
        const commit = await advanceInput(fixture.fleet, 'secrets');
        const second = await run({ 'auto-merge': 'false' });
        expect(errorLines(second)).toEqual([]);
        expect(second.outputs['pull-request-operation']).toBe('updated');
        expect(second.outputs['pull-request-number']).toBe('1');
        expect(repo.pullRequests({ state: 'all' })).toHaveLength(1);
        const pull = repo.pullRequest(1);
        expect(pull).toMatchObject({ state: 'open', merged: false });
        const head = repo.branch(BRANCH) as string;
        expect(head).not.toBe(firstHead);
        expect(repo.git.commit(head)?.parents).toEqual([moved]);
        expect(repo.readFile(BRANCH, 'flake.lock')).toContain(commit.rev);
        expect(repo.readFile(BRANCH, 'README.md')).toBe('# homelab\n');
        expect(pull?.body).toContain('**secrets**');
        expect(pull?.body).toContain('**dotfiles**');
        // The scratch branch the commit was made on is gone.
        expect(repo.branches().sort()).toEqual([BRANCH, 'main']);

        await checkOutBase(fixture, repo);
        const commitsBefore = server.requestsMatching({ graphqlOperation: 'createCommitOnBranch' }).length;
        const third = await run({ 'auto-merge': 'false' });
        expect(third.outputs['pull-request-operation']).toBe('unchanged');
        expect(repo.branch(BRANCH)).toBe(head);
        expect(server.requestsMatching({ graphqlOperation: 'createCommitOnBranch' })).toHaveLength(
          commitsBefore,
        );
        expect(third.visibleLog).toContain(`#1 already proposes this lock on top of main: nothing to push`);
      }));

    it('closes the pull request with a comment once the base already has its lock', () =>
      withFleetOnGitHub(async ({ fixture, repo, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        await run({ 'auto-merge': 'false' });
        // Someone lands the same lock on main by hand; the next run starts from that checkout.
        repo.commitFiles('main', {
          files: { 'flake.lock': await fixture.lockText() },
          message: 'flake.lock: by hand',
        });
        await checkOutBase(fixture, repo);
        const result = await run({ 'auto-merge': 'false' });
        expect(errorLines(result)).toEqual([]);
        expect(result.outputs['pull-request-operation']).toBe('closed');
        expect(result.outputs.changed).toBe('false');
        expect(repo.pullRequest(1)).toMatchObject({ state: 'closed', merged: false });
        expect(repo.commentsOn(1).map((comment) => comment.body)).toEqual([
          expect.stringContaining('the base branch already locks these inputs at these revisions'),
        ]);
        expect(repo.branch(BRANCH)).toBeUndefined();

        const again = await run({ 'auto-merge': 'false' });
        expect(again.outputs['pull-request-operation']).toBe('none');
        expect(again.summary).toContain('Nothing to update: every input is already at its newest revision.');
      }));

    it('opens one pull request per group, on its own branch, with only its inputs', () =>
      withFleetOnGitHub(async ({ fixture, repo, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        await advanceInput(fixture.fleet, 'secrets');
        const result = await run({
          groups: '{keys: [secrets], home: ["dot*"], rest: ["*"]}',
          'auto-merge': 'false',
        });
        expect(errorLines(result)).toEqual([]);
        const keys = repo.pullRequests({ head: `${BRANCH}-keys` })[0];
        const home = repo.pullRequests({ head: `${BRANCH}-home` })[0];
        expect(repo.pullRequests()).toHaveLength(2);
        expect(keys?.title).toBe('flake.lock: update (keys)');
        expect(keys?.body).toContain('**secrets**');
        expect(keys?.body).not.toContain('**dotfiles**');
        expect(home?.body).toContain('**dotfiles**');
        expect(home?.body).not.toContain('**secrets**');
        // Each branch moves only its own input.
        const base = JSON.parse(repo.readFile('main', 'flake.lock') as string);
        const keysLock = JSON.parse(repo.readFile(`${BRANCH}-keys`, 'flake.lock') as string);
        expect(keysLock.nodes.dotfiles).toEqual(base.nodes.dotfiles);
        expect(keysLock.nodes.secrets).not.toEqual(base.nodes.secrets);
        expect(JSON.parse(result.outputs['pull-requests'] as string)).toEqual([
          expect.objectContaining({
            group: 'keys',
            branch: `${BRANCH}-keys`,
            number: keys?.number,
            operation: 'created',
          }),
          expect.objectContaining({
            group: 'home',
            branch: `${BRANCH}-home`,
            number: home?.number,
            operation: 'created',
          }),
          expect.objectContaining({ group: 'rest', number: null, operation: 'none' }),
        ]);
        expect(result.outputs['pull-request-number']).toBe(String(keys?.number));
        expect(
          JSON.parse(result.outputs['updated-inputs'] as string).map(
            (input: { group: string }) => input.group,
          ),
        ).toEqual(['keys', 'home']);
        // Several proposals differ, so the checkout is left with the lock it had.
        expect(await fixture.lockText()).toBe(repo.readFile('main', 'flake.lock'));
      }));

    it('enables auto-merge with the pushed head as expectedHeadOid when checks are still required', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        await run({ 'auto-merge': 'false' });
        repo.settings.allowAutoMerge = true;
        const pull = repo.pullRequest(1);
        if (pull) pull.mergeableState = 'blocked';
        await checkOutBase(fixture, repo);
        await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run({ 'merge-method': 'rebase' });
        expect(errorLines(result)).toEqual([]);
        expect(warnings(result)).toEqual([]);
        expect(result.outputs['pull-request-operation']).toBe('updated');
        expect(repo.pullRequest(1)?.autoMerge).toMatchObject({ mergeMethod: 'rebase' });
        const [enable] = server.requestsMatching({ graphqlOperation: 'enablePullRequestAutoMerge' });
        expect(enable?.graphql?.variables.input).toMatchObject({
          mergeMethod: 'REBASE',
          expectedHeadOid: repo.branch(BRANCH),
        });
        expect(JSON.parse(result.outputs['pull-requests'] as string)[0].autoMerge).toBe('enabled');
      }));

    it('merges directly when GitHub answers that the pull request is already in clean status', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        repo.settings.allowAutoMerge = true;
        await advanceInput(fixture.fleet, 'secrets');
        const result = await run();
        expect(errorLines(result)).toEqual([]);
        expect(repo.pullRequest(1)).toMatchObject({ state: 'closed', merged: true });
        expect(server.requestsMatching({ operationId: 'pulls/merge' })[0]?.body).toMatchObject({
          merge_method: 'squash',
        });
        expect(repo.readFile('main', 'flake.lock')).toBe(await fixture.lockText());
        expect(JSON.parse(result.outputs['pull-requests'] as string)[0].autoMerge).toBe('merged');
        expect(result.summary).toContain('✅ merged');
      }));

    it('stops a lock that breaks evaluation before touching any pull request', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        await advanceInput(fixture.fleet, 'secrets', { kind: 'break-evaluation' });
        const result = await run();
        expect(result.exitCode).toBe(1);
        const failure = errorLines(result).at(-1) ?? '';
        expect(failure).toMatch(
          /^4 hosts do not evaluate with the updated flake.lock \(gateway, homeserver, media, pi\); gateway: error: /,
        );
        expect(failure).toContain('authorized_keys/bob');
        expect(repo.pullRequests({ state: 'all' })).toEqual([]);
        expect(repo.branches()).toEqual(['main']);
        expect(server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
        expect(result.outputs['pull-request-operation']).toBe('none');
      }));

    it('opens a draft carrying Nix’s error with on-verify-failure: draft', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        repo.settings.allowAutoMerge = true;
        await advanceInput(fixture.fleet, 'dotfiles', { kind: 'break-evaluation' });
        const result = await run({ 'on-verify-failure': 'draft' });
        expect(result.exitCode).toBe(0);
        const pull = repo.pullRequest(1);
        expect(pull).toMatchObject({ state: 'open', draft: true, merged: false });
        expect(pull?.body).toContain('> [!CAUTION]');
        expect(pull?.body).toContain("error: undefined variable 'email'");
        expect(server.requestsMatching({ graphqlOperation: 'enablePullRequestAutoMerge' })).toEqual([]);
        expect(
          result.annotations
            .filter((annotation) => annotation.command === 'warning')
            .map((w) => w.properties.title),
        ).toEqual(
          expect.arrayContaining(['lock-update: laptop breaks', 'lock-update: alice@workstation breaks']),
        );
      }));

    it('dispatches the checks workflow on the branch after each push', () =>
      withFleetOnGitHub(async ({ fixture, repo, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run({ 'dispatch-workflow': 'pr-checks.yml', 'auto-merge': 'false' });
        expect(errorLines(result)).toEqual([]);
        expect(repo.workflowDispatches).toEqual([
          expect.objectContaining({ workflowId: 'pr-checks.yml', ref: BRANCH }),
        ]);
        expect(result.visibleLog).toContain(`Dispatched pr-checks.yml on ${BRANCH}`);
      }));

    it('pushes nothing and calls no GitHub API in a dry run', () =>
      withFleetOnGitHub(async ({ fixture, server, run }) => {
        await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run({ 'dry-run': 'true' });
        expect(result.exitCode).toBe(0);
        expect(result.outputs.changed).toBe('true');
        expect(result.outputs.body).toContain('**dotfiles**');
        expect(server.requests).toEqual([]);
      }));

    it('retries GitHub faults and still opens exactly one pull request', () =>
      withFleetOnGitHub(async ({ fixture, server, repo, run }) => {
        const pulls = server.injectFault({
          method: 'POST',
          path: `/repos/${SLUG}/pulls`,
          status: 502,
          times: 2,
        });
        const commit = server.injectFault({ graphqlOperation: 'createCommitOnBranch', status: 503 });
        await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run({ 'auto-merge': 'false' });
        expect(errorLines(result)).toEqual([]);
        expect(pulls.hits).toBe(2);
        expect(commit.hits).toBe(1);
        expect(repo.pullRequests({ state: 'all' })).toHaveLength(1);
        expect(server.requestsMatching({ method: 'POST', path: `/repos/${SLUG}/pulls` })).toHaveLength(3);
        expect(
          repo.git.commitsBetween(repo.branch('main') as string, repo.branch(BRANCH) as string),
        ).toHaveLength(1);
      }));

    it('says what to change when GitHub Actions may not create pull requests', () =>
      withFleetOnGitHub(async ({ fixture, repo, run }) => {
        repo.settings.actionsCanCreatePullRequests = false;
        await advanceInput(fixture.fleet, 'dotfiles');
        const result = await run();
        expect(result.exitCode).toBe(1);
        expect(errorLines(result)).toEqual([
          'GitHub Actions is not permitted to create pull requests in this repository: enable it in Settings → Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve pull requests", or pass a GitHub App or personal access token as `token`',
        ]);
      }));
  });
}

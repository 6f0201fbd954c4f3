import { beforeAll, describe, expect, it } from 'vitest';
import { advanceInput } from '../../src/demo/example-fleet.js';
import { type RunActionOptions, runAction as runStep } from '../harness/run-action.js';
import { NIX_VERSIONS, pathFor, requireVersion } from '../support/versions.js';
import { type FleetWorkspace, fleetWorkspace, requireBundle } from './fleet-fixture.js';

/** The built bundle, run as the runner runs it, with no GitHub at all: a dry run must not need one. */
// Concurrent tests share process.env, so each run gets its version's PATH through the step's environment.
for (const version of NIX_VERSIONS) {
  describe.concurrent(`lock-update dry-run (${version.label})`, () => {
    requireBundle('lock-update');
    beforeAll(() => requireVersion(version));
    const runAction = (options: RunActionOptions) =>
      runStep({ ...options, env: { PATH: pathFor(version), ...options.env } });

    /** Each test gets its own fleet, so the tests can run side by side. */
    async function withFleet(test: (fixture: FleetWorkspace) => Promise<void>): Promise<void> {
      const fixture = await fleetWorkspace();
      try {
        await test(fixture);
      } finally {
        await fixture.dispose();
      }
    }

    it('updates and verifies locally, renders the body and pushes nothing', () =>
      withFleet(async (fixture) => {
        const before = await fixture.lockText();
        const commit = await advanceInput(fixture.fleet, 'dotfiles');
        const run = await runAction({
          action: 'lock-update',
          workspace: fixture.workspace,
          inputs: { 'dry-run': 'true', 'stale-days': '0' },
          // Nowhere to push to: any GitHub call would fail the step.
          env: { GITHUB_API_URL: 'http://127.0.0.1:9', GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql' },
          githubToken: 'ghs_dryRunToken000000000000',
        });
        expect(run.stderr).toBe('');
        expect(run.exitCode).toBe(0);
        expect(run.outputs.changed).toBe('true');
        expect(run.outputs['pull-request-operation']).toBe('none');
        expect(run.outputs['pull-request-number']).toBe('');
        expect(JSON.parse(run.outputs['updated-inputs'] as string)).toEqual([
          {
            input: 'dotfiles',
            paths: ['dotfiles'],
            change: 'updated',
            type: 'git',
            from: { rev: fixture.fleet.inputs.dotfiles.initialRev, date: '2024-06-01T09:00:00Z' },
            to: { rev: commit.rev, date: '2024-06-01T10:00:00Z' },
            url: null,
            direct: true,
          },
        ]);
        const body = run.outputs.body as string;
        expect(body).toContain(
          `| **dotfiles** (main) | \`${fixture.fleet.inputs.dotfiles.initialRev.slice(0, 7)}\` · 2024-06-01 |`,
        );
        expect(body).toContain('✅ All 6 hosts evaluate with this lock · 2 derivations change');
        expect(body).toContain('| `laptop` | nix-darwin | 🔄 changes |');
        expect(run.summary).toContain('flake.lock update (dry run: nothing pushed)');
        expect(run.visibleLog).not.toContain('ghs_dryRunToken');
        // The checkout keeps the updated lock for later steps; its git history is untouched.
        expect(await fixture.lockText()).not.toBe(before);
        expect(JSON.parse(run.outputs['pull-requests'] as string)).toEqual([
          {
            group: null,
            branch: 'flakeflow/lock-update',
            number: null,
            url: null,
            operation: 'none',
            draft: false,
            autoMerge: 'off',
            dispatched: false,
          },
        ]);
      }));

    it('says there is nothing to do when no input moved', () =>
      withFleet(async (fixture) => {
        const run = await runAction({
          action: 'lock-update',
          workspace: fixture.workspace,
          inputs: { 'dry-run': 'true', 'stale-days': '0' },
        });
        expect(run.exitCode).toBe(0);
        expect(run.outputs.changed).toBe('false');
        expect(run.outputs.body).toBe('');
        // The fixture's lock is written by Nix 2.8; a newer Nix only rewrites its git refs, which is no update.
        expect(run.summary).toContain(
          version.binDir === undefined
            ? 'Nothing to update: every input is already at its newest revision.'
            : 'Nothing to update: Nix rewrote flake.lock in its newer format (such as git refs `main` → `refs/heads/main`) but no input moved.',
        );
      }));

    it('warns about inputs still locked to an old revision, in an annotation and the summary', () =>
      withFleet(async (fixture) => {
        await advanceInput(fixture.fleet, 'secrets');
        const run = await runAction({
          action: 'lock-update',
          workspace: fixture.workspace,
          inputs: { 'dry-run': 'true' },
        });
        expect(run.exitCode).toBe(0);
        // The example inputs' commits are dated June 2024, far older than 30 days.
        const warnings = run.annotations.filter((annotation) => annotation.command === 'warning');
        expect(warnings.map((warning) => warning.message)).toEqual([
          expect.stringMatching(
            /^Input 'dotfiles' is still locked to a revision from 2024-06-01 \(\d+ days old\)/,
          ),
          expect.stringMatching(
            /^Input 'secrets' is still locked to a revision from 2024-06-01 \(\d+ days old\)/,
          ),
        ]);
        expect(warnings[0]?.properties).toMatchObject({
          file: 'flake.lock',
          title: 'lock-update: stale input',
        });
        expect(run.summary).toContain('### ⚠️ Stale inputs');
        expect(run.outputs.body).toContain('### ⚠️ Stale inputs');
      }));

    it('fails with Nix’s error naming the host when the update breaks evaluation', () =>
      withFleet(async (fixture) => {
        await advanceInput(fixture.fleet, 'dotfiles', { kind: 'break-evaluation' });
        const run = await runAction({
          action: 'lock-update',
          workspace: fixture.workspace,
          inputs: { 'dry-run': 'true', 'stale-days': '0' },
        });
        expect(run.exitCode).toBe(1);
        const errors = run.annotations.filter((annotation) => annotation.command === 'error');
        const hosts = errors.filter((error) => error.properties.title !== undefined);
        expect(hosts.map((error) => error.properties.title).sort()).toEqual([
          'lock-update: alice@workstation breaks',
          'lock-update: laptop breaks',
        ]);
        expect(hosts[0]?.message).toContain("error: undefined variable 'email'");
        // The step's own failure: one line naming the hosts, with Nix's error.
        const failure = errors.find((error) => error.properties.title === undefined)?.message ?? '';
        expect(failure).toMatch(
          /^2 hosts do not evaluate with the updated flake.lock \((alice@workstation, laptop|laptop, alice@workstation)\)/,
        );
        expect(failure).toContain("undefined variable 'email'");
      }));
  });
}

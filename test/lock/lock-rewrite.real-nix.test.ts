import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { NixCli } from '../../src/nix/cli.js';
import { EnvRunner } from '../deploy/support.js';
import { FAKE_TOKEN } from '../fake-github/index.js';
import { runAction } from '../harness/run-action.js';
import { NIX_VERSIONS, pathFor, requireVersion } from '../support/versions.js';
import { type FleetWorkspace, fleetWorkspace, requireBundle } from './fleet-fixture.js';
import { startFleetGitHub } from './github-fixture.js';

const [OLD_NIX, NEW_NIX] = NIX_VERSIONS as [(typeof NIX_VERSIONS)[0], (typeof NIX_VERSIONS)[0]];

/**
 * A lock written by Nix 2.8, updated by Nix 2.26 with no input moved upstream: Nix 2.26 rewrites every
 * git input's `ref` (`main` → `refs/heads/main`), which is no update.
 */
describe(`lock-update on a lock written by ${OLD_NIX.label}, run with ${NEW_NIX.label}`, () => {
  let fixture: FleetWorkspace;
  let newNixPath: string;

  beforeAll(async () => {
    requireBundle('lock-update');
    await requireVersion(OLD_NIX);
    newNixPath = pathFor(NEW_NIX);
    await requireVersion(NEW_NIX, newNixPath);
    fixture = await fleetWorkspace();
  });
  afterAll(() => fixture?.dispose());

  it(`is what ${NEW_NIX.label} does to such a lock: refs rewritten, revisions kept`, async () => {
    const copy = `${fixture.workspace}-copy`;
    await cp(fixture.workspace, copy, { recursive: true });
    const nix = new NixCli(
      new EnvRunner(new SpawnProcessRunner(new RecordingLogger()), { PATH: newNixPath }),
    );
    await nix.updateLock(copy, []);
    const before = JSON.parse(await fixture.lockText());
    const after = JSON.parse(await readFile(join(copy, 'flake.lock'), 'utf8'));
    expect(before.nodes.dotfiles.locked.ref).toBe('main');
    expect(after.nodes.dotfiles.locked.ref).toBe('refs/heads/main');
    expect(after.nodes.dotfiles.locked.rev).toBe(before.nodes.dotfiles.locked.rev);
  });

  it('reports changed=false, updates no input and opens no branch or pull request', async () => {
    const lockBefore = await fixture.lockText();
    const { server, repo } = await startFleetGitHub(fixture);
    try {
      const run = await runAction({
        action: 'lock-update',
        workspace: fixture.workspace,
        inputs: { 'stale-days': '0' },
        env: { PATH: newNixPath, GITHUB_API_URL: server.url, GITHUB_GRAPHQL_URL: server.graphqlUrl },
        githubToken: FAKE_TOKEN,
      });
      expect(run.exitCode).toBe(0);
      expect(run.outputs.changed).toBe('false');
      expect(JSON.parse(run.outputs['updated-inputs'] as string)).toEqual([]);
      expect(run.outputs['pull-request-operation']).toBe('none');
      expect(run.outputs.body).toBe('');
      expect(repo.pullRequests({ state: 'all' })).toEqual([]);
      expect(repo.branch('flakeflow/lock-update')).toBeUndefined();
      expect(server.requestsMatching({ graphqlOperation: 'createCommitOnBranch' })).toEqual([]);
      expect(run.summary).toContain(
        'Nothing to update: Nix rewrote flake.lock in its newer format (such as git refs `main` → `refs/heads/main`) but no input moved.',
      );
      expect(run.visibleLog).toContain('Nix rewrote flake.lock without moving any input');
      // The checkout keeps the lock as Nix 2.8 wrote it.
      expect(await fixture.lockText()).toBe(lockBefore);
      server.assertNoViolations();
    } finally {
      await server.close();
    }
  });
});

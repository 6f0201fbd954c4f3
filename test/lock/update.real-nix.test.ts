import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { advanceInput, type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import {
  evaluateBaseline,
  type LocalUpdateContext,
  proposeUpdate,
  readLockText,
  verificationFailures,
} from '../../src/lock/update.js';
import { evaluateHosts } from '../../src/lock/verify.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

/** Real Nix and git on the example fleet: one input advanced by a commit, then a local update. */
describeEachVersion(NIX_VERSIONS, 'proposeUpdate on the example fleet', () => {
  let dir: string | undefined;
  let fleet: ExampleFleet;
  let context: LocalUpdateContext;
  let oldLock: string;

  beforeAll(async () => {
    const { nix } = await requireNix();
    dir = await makeTempDir('lock-update');
    fleet = await materializeExampleFleet(join(dir, 'fleet'));
    context = { nix, flakeDir: fleet.flakeDir, verify: 'eval', logger: new RecordingLogger() };
    oldLock = await readLockText(fleet.flakeDir, '.');
  });
  afterAll(() => removeTempDir(dir));

  it('updates an advanced input, diffs the locks and names the hosts whose derivation changes', async () => {
    const commit = await advanceInput(fleet, 'dotfiles');
    const baseline = await evaluateBaseline(context);
    expect(baseline?.map((host) => host.host).sort()).toEqual(
      ['alice@workstation', 'gateway', 'homeserver', 'laptop', 'media', 'pi'].sort(),
    );
    const proposal = await proposeUpdate({ branch: 'b', inputs: 'all' }, oldLock, baseline, context);

    expect(proposal.diff.transitive).toEqual([]);
    expect(proposal.diff.direct).toEqual([
      expect.objectContaining({
        input: 'dotfiles',
        kind: 'updated',
        type: 'git',
        from: expect.objectContaining({
          rev: fleet.inputs.dotfiles.initialRev,
          date: '2024-06-01T09:00:00Z',
        }),
        to: expect.objectContaining({ rev: commit.rev, date: '2024-06-01T10:00:00Z' }),
      }),
    ]);
    expect(await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8')).toBe(proposal.newLockText);
    const changed = proposal.verification.hosts
      .filter((host) => host.status === 'changed')
      .map((host) => host.host);
    // Only the laptop and the workstation use alice's dotfiles.
    expect(changed.sort()).toEqual(['alice@workstation', 'laptop']);
    expect(verificationFailures(proposal.verification)).toEqual([]);
  });

  it('updates only the inputs of its plan', async () => {
    await advanceInput(fleet, 'secrets');
    const proposal = await proposeUpdate(
      { group: 'keys', branch: 'b-keys', inputs: ['secrets'] },
      oldLock,
      undefined,
      {
        ...context,
        verify: 'none',
      },
    );
    expect(proposal.diff.direct.map((change) => change.input)).toEqual(['secrets']);
    expect(proposal.verification).toEqual({ level: 'none', hosts: [] });
  });

  it('names each host an input breaks, with Nix’s error', async () => {
    await advanceInput(fleet, 'secrets', { kind: 'break-evaluation' });
    const baseline = await evaluateBaseline(context);
    const proposal = await proposeUpdate({ branch: 'b', inputs: ['secrets'] }, oldLock, baseline, context);
    const failures = verificationFailures(proposal.verification);
    expect(failures.map((host) => host.host).sort()).toEqual(['gateway', 'homeserver', 'media', 'pi']);
    for (const failure of failures) {
      expect(failure.error).toMatch(/^error: /);
      expect(failure.error).toContain('authorized_keys/bob');
    }
    expect(proposal.verification.hosts.find((host) => host.host === 'laptop')?.status).toBe('unchanged');
  });

  it('builds every host with verify: build', async () => {
    const proposal = await proposeUpdate(
      { branch: 'b', inputs: ['dotfiles'] },
      oldLock,
      await evaluateBaseline(context),
      {
        ...context,
        verify: 'build',
      },
    );
    expect(proposal.verification.level).toBe('build');
    expect(verificationFailures(proposal.verification)).toEqual([]);
    expect(proposal.verification.hosts).toHaveLength(6);
  });

  it('reports no change when nothing moved upstream', async () => {
    const current = await readLockText(fleet.flakeDir, '.');
    const proposal = await proposeUpdate({ branch: 'b', inputs: ['dotfiles'] }, current, undefined, context);
    expect(proposal.diff).toEqual({ direct: [], transitive: [] });
    expect(proposal.newLockText).toBe(current);
  });

  it('verifies in bounded evaluator processes as it does without them, errors included', async () => {
    const { nix, runner } = await requireNix();
    await advanceInput(fleet, 'secrets', { kind: 'break-evaluation' });
    await writeFile(join(fleet.flakeDir, 'flake.lock'), oldLock);
    await nix.updateLock(fleet.flakeDir, ['secrets']);
    const pool = { runner, limits: { workers: 2, maxMemoryKiB: 1024 * 1024 } };
    const alone = await evaluateHosts(nix, fleet.flakeDir);
    const pooled = await evaluateHosts(nix, fleet.flakeDir, {}, pool);
    expect(pooled.filter((host) => host.error).map((host) => host.host)).toEqual([
      'gateway',
      'homeserver',
      'media',
      'pi',
    ]);
    expect(pooled.find((host) => host.host === 'pi')?.error).toContain('authorized_keys/bob');
    expect(pooled).toEqual(alone);
  });
});

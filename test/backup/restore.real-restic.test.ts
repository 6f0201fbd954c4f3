import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { DAY, ResticLab, randomFile, type TestRepository } from './restic-fixtures.js';
import { leftovers, plan, repositoryIn, verify } from './support.js';

describeEachVersion(RESTIC_VERSIONS, 'restore on real restic', () => {
  let lab: ResticLab;

  beforeAll(async () => {
    lab = await ResticLab.create();
  });

  afterAll(async () => {
    await lab?.dispose();
  });

  function restoreCheckOf(report: Awaited<ReturnType<typeof verify>>['report'], name: string) {
    return repositoryIn(report, name).checks.find((check) => check.check === 'restore');
  }

  describe('restore and canary on real restic', () => {
    let repo: TestRepository;
    let canary: string;
    let staleCanary: string;

    beforeAll(async () => {
      repo = await lab.repository('restorable');
      const now = Date.now();
      const app = await lab.files('immich', {
        // Several megabytes of random data are cut into several blobs: their lengths come from the index.
        'library/video.mp4': randomFile(3 * 1024 * 1024),
        'library/photo.jpg': randomFile(40_000),
        'config.json': '{"port": 2283}',
        'empty.log': '',
        canary: `${new Date(now - 2 * 3_600_000).toISOString()}\n`,
        'old-canary': `${Math.floor((now - 3 * DAY) / 1000)}\n`,
      });
      canary = join(app, 'canary');
      staleCanary = join(app, 'old-canary');
      await repo.backup({ host: 'homeserver', tags: ['immich'], paths: [app] });
    });

    it('restores a sample with --verify, matches sizes and every blob hash, and reads a recent canary back', async () => {
      const { report } = await verify(
        lab,
        [plan(repo, { groups: [{ host: 'homeserver', tags: ['immich'] }], restore: { sample: 10, canary } })],
        { checks: ['open', 'restore'] },
      );
      expect(report.failures).toEqual([]);
      expect(restoreCheckOf(report, 'restorable')).toMatchObject({
        status: 'passed',
        detail: '6 files, 5 hashed, canary 2 h 0 min old',
      });
      expect(await leftovers(lab)).toEqual([]);
    });

    it('reports a canary older than allowed as stale', async () => {
      const { report } = await verify(
        lab,
        [plan(repo, { restore: { sample: 0, canary: staleCanary, 'canary-max-age': '1d' } })],
        {
          checks: ['open', 'restore'],
        },
      );
      expect(report.failures).toEqual([expect.objectContaining({ check: 'restore', kind: 'stale' })]);
      expect(report.failures[0]?.message).toMatch(
        /^the canary .*old-canary read back from [0-9a-f]{8} was written 3 d 0 h ago \(by its content\); at most 24 h 0 min is allowed/,
      );
    });

    it('reports a canary no snapshot backs up', async () => {
      const { report } = await verify(
        lab,
        [plan(repo, { restore: { sample: 0, canary: '/var/lib/backup-canary' } })],
        {
          checks: ['open', 'restore'],
        },
      );
      expect(report.failures).toEqual([
        expect.objectContaining({
          kind: 'restore',
          message: 'no snapshot backs up the canary /var/lib/backup-canary',
        }),
      ]);
    });

    it('fails the restore of a file whose pack has a flipped byte, and still removes the temp data', async () => {
      const broken = await lab.repository('broken-restore');
      const data = await lab.files('broken', { 'only.bin': randomFile(100_000) });
      await broken.backup({ host: 'homeserver', tags: ['vaultwarden'], paths: [data] });
      const [pack] = await broken.packs();
      await broken.flipByte(pack?.path as string);
      const { report } = await verify(lab, [plan(broken, { restore: { sample: 1 } })], {
        checks: ['open', 'restore'],
      });
      expect(report.failures).toEqual([
        expect.objectContaining({ group: 'homeserver [vaultwarden]', check: 'restore', kind: 'restore' }),
      ]);
      expect(report.failures[0]?.message).toMatch(
        /^restoring 1 file\(s\) of homeserver \[vaultwarden\] from [0-9a-f]{8} failed: .*ciphertext verification failed/,
      );
      expect(await leftovers(lab)).toEqual([]);
    });
  });
});

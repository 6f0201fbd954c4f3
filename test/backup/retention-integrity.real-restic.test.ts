import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSlice } from '../../src/backup/integrity.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { DAY, HOUR, ResticLab, randomFile, resticTime, type TestRepository } from './restic-fixtures.js';
import { plan, repositoryIn, statusOf, verify } from './support.js';

describeEachVersion(RESTIC_VERSIONS, 'retention and integrity on real restic', () => {
  let lab: ResticLab;

  beforeAll(async () => {
    lab = await ResticLab.create();
  });

  afterAll(async () => {
    await lab?.dispose();
  });

  function day(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
  }

  describe('retention on real restic', () => {
    let repo: TestRepository;
    const now = Date.now();

    beforeAll(async () => {
      repo = await lab.repository('retention');
      const photos = await lab.files('photos', { 'a.jpg': 'jpeg' });
      // Daily backups with two days missing (3 and 4 days ago).
      for (const daysAgo of [5, 2, 1, 0]) {
        await repo.backup({
          host: 'homeserver',
          tags: ['immich'],
          paths: [photos],
          time: resticTime(now, daysAgo * DAY),
        });
      }
    });

    it('fails when forget --dry-run with the policy would remove snapshots: pruning is not running', async () => {
      const { report } = await verify(
        lab,
        [plan(repo, { groups: [{ host: 'homeserver', tags: ['immich'] }], policy: { daily: 2 } })],
        { checks: ['open', 'retention'], now },
      );
      expect(statusOf(report, 'retention')).toMatchObject({ open: 'passed', retention: 'failed' });
      expect(report.failures).toEqual([
        expect.objectContaining({ group: 'homeserver [immich]', check: 'retention', kind: 'retention' }),
      ]);
      expect(report.failures[0]?.message).toMatch(
        new RegExp(
          `^2 snapshot\\(s\\) of homeserver \\[immich\\] are outside the policy \\(2 daily\\).*pruning is not running.*from ${day(now - 5 * DAY)}$`,
        ),
      );
      expect(repositoryIn(report, 'retention').checks.find((c) => c.check === 'retention')?.detail).toBe(
        '2 beyond policy',
      );
    });

    it('passes a repository that follows the policy and reports the days without a snapshot', async () => {
      const { report } = await verify(lab, [plan(repo, { policy: { daily: 7, weekly: 4 } })], {
        checks: ['open', 'retention'],
        now,
      });
      expect(report.failures).toEqual([]);
      const retention = repositoryIn(report, 'retention').checks.find((check) => check.check === 'retention');
      expect(retention).toMatchObject({ status: 'passed', detail: '1 gap(s)' });
      expect(retention?.notes).toEqual([
        `daily: no snapshot in ${day(now - 4 * DAY)}, ${day(now - 3 * DAY)}`,
      ]);
    });

    it('does not run without a policy', async () => {
      const { report } = await verify(lab, [plan(repo)], { checks: ['open', 'retention'], now });
      expect(
        repositoryIn(report, 'retention').checks.find((check) => check.check === 'retention'),
      ).toMatchObject({
        status: 'not-run',
        detail: 'no policy',
      });
    });
  });

  describe('integrity on real restic with one flipped byte in a pack', () => {
    let repo: TestRepository;
    let slice: number;

    beforeAll(async () => {
      repo = await lab.repository('corrupt');
      const data = await lab.files('vault', { 'db.sqlite3': randomFile(200_000), 'small.txt': 'hello' });
      await repo.backup({ host: 'homeserver', tags: ['vaultwarden'], paths: [data] });
      const [pack] = await repo.packs();
      if (!pack) throw new Error('the backup wrote no pack');
      // restic reads pack `id` in slice n/t when its first ID byte % t == n - 1.
      slice = (Number.parseInt(pack.id.slice(0, 2), 16) % 7) + 1;
      await repo.flipByte(pack.path);
    });

    /** Noon (UTC) of a day whose rotate slice is `n`. */
    function dayOfSlice(n: number): number {
      const today = Math.floor(Date.now() / DAY);
      for (let offset = 0; offset < 7; offset += 1) {
        const candidate = (today - offset) * DAY + 12 * HOUR;
        if (rotateSlice(candidate) === n) return candidate;
      }
      throw new Error('unreachable');
    }

    it('is missed by structure (plain check reads no pack data)', async () => {
      const { report } = await verify(lab, [plan(repo, { check: 'structure' })], {
        checks: ['open', 'integrity'],
      });
      expect(report.failures).toEqual([]);
      expect(
        repositoryIn(report, 'corrupt').checks.find((check) => check.check === 'integrity'),
      ).toMatchObject({
        status: 'passed',
        detail: 'structure',
      });
    });

    it('is found by all', async () => {
      const { report } = await verify(lab, [plan(repo, { check: 'all' })], { checks: ['open', 'integrity'] });
      expect(report.failures).toEqual([expect.objectContaining({ check: 'integrity', kind: 'integrity' })]);
      expect(report.failures[0]?.message).toMatch(
        /^restic check \(all pack data read\) found errors: .*(Pack ID does not match|ciphertext)/,
      );
    });

    it('is found by the rotate slice holding the pack, on the UTC day that reads it, and the summary names the slice', async () => {
      const { report } = await verify(lab, [plan(repo, { check: 'rotate' })], {
        checks: ['open', 'integrity'],
        now: dayOfSlice(slice),
      });
      expect(report.failures).toEqual([expect.objectContaining({ check: 'integrity', kind: 'integrity' })]);
      expect(report.failures[0]?.message).toContain(`pack slice ${slice}/7 read`);
      expect(
        repositoryIn(report, 'corrupt').checks.find((check) => check.check === 'integrity')?.detail,
      ).toBe(`slice ${slice}/7`);
    });

    it('is missed by the next day’s slice', async () => {
      const next = (slice % 7) + 1;
      const { report } = await verify(lab, [plan(repo, { check: 'rotate' })], {
        checks: ['open', 'integrity'],
        now: dayOfSlice(next),
      });
      expect(
        repositoryIn(report, 'corrupt').checks.find((check) => check.check === 'integrity'),
      ).toMatchObject({
        status: 'passed',
        detail: `slice ${next}/7`,
      });
    });
  });
});

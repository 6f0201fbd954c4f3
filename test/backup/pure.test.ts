import { describe, expect, it } from 'vitest';
import { integrityScope, rotateSlice } from '../../src/backup/integrity.js';
import { maxAgeForSchedule, policyFromPruneOpts, tagsFromBackupArgs } from '../../src/backup/jobs.js';
import { displayLocation, groupLabel, locationSecret } from '../../src/backup/plan.js';
import type { Snapshot } from '../../src/backup/restic.js';
import { canaryTime, pickSample } from '../../src/backup/restore.js';
import { describePolicy, keepArgs, missingBuckets } from '../../src/backup/retention.js';
import { servicesJobs } from '../../src/backup/services.js';
import { renderSummary } from '../../src/backup/summary.js';
import type { VerificationReport } from '../../src/backup/verification.js';
import { UserError } from '../../src/core/errors.js';

const DAY = 86_400_000;

describe('rotate', () => {
  it('reads slice n/7 from the UTC day, so seven consecutive days read every slice once', () => {
    const start = Date.UTC(2026, 2, 1, 23, 59);
    const slices = Array.from({ length: 7 }, (_, day) => rotateSlice(start + day * DAY));
    expect([...slices].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The same UTC day gives the same slice at any hour.
    expect(rotateSlice(Date.UTC(2026, 2, 1, 0, 0))).toBe(rotateSlice(Date.UTC(2026, 2, 1, 23, 59)));
    expect(rotateSlice(0)).toBe(1);
  });

  it.each([
    [{ mode: 'rotate' as const }, `${rotateSlice(5 * DAY)}/7`],
    [{ mode: 'all' as const }, true],
    [{ mode: 'structure' as const }, undefined],
    [{ mode: 'subset' as const, part: 2, parts: 16 }, '2/16'],
    [{ mode: 'percent' as const, percent: 2.5 }, '2.5%'],
  ])('%j reads %s', (check, readData) => {
    expect(integrityScope(check, 5 * DAY)?.readData).toEqual(readData);
  });

  it('runs nothing for none', () => {
    expect(integrityScope({ mode: 'none' }, 0)).toBeUndefined();
  });
});

function snapshot(time: string, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    id: time.replace(/\D/g, '').padEnd(64, '0'),
    time,
    tree: 't',
    paths: ['/srv'],
    hostname: 'h',
    ...extra,
  };
}

describe('retention', () => {
  it('turns a policy into --keep-* arguments, leaving out zeros', () => {
    expect(keepArgs({ daily: 7, weekly: 4, monthly: 0, yearly: 1 })).toEqual([
      '--keep-daily',
      '7',
      '--keep-weekly',
      '4',
      '--keep-yearly',
      '1',
    ]);
    expect(describePolicy({ last: 3, daily: 7 })).toBe('3 last, 7 daily');
  });

  it('finds the calendar periods inside the policy window that have no snapshot', () => {
    const snapshots = [
      '2026-03-10T02:00:00Z',
      '2026-03-09T02:00:00Z',
      '2026-03-06T02:00:00+01:00',
      '2026-01-20T02:00:00Z',
    ].map((time) => snapshot(time));
    expect(missingBuckets(snapshots, { daily: 5, weekly: 4, monthly: 6 })).toEqual([
      'daily: no snapshot in 2026-03-07, 2026-03-08',
      'weekly: no snapshot in 2026-W08, 2026-W09',
      'monthly: no snapshot in 2026-02',
    ]);
  });

  it('finds no gap in a young repository', () => {
    // 2026-01-01 is a Thursday, so it lies in week 1; 2027-01-01 (a Friday) in 2026's week 53.
    expect(
      missingBuckets([snapshot('2026-01-01T00:00:00Z'), snapshot('2026-01-09T00:00:00Z')], { weekly: 3 }),
    ).toEqual([]);
    expect(
      missingBuckets([snapshot('2026-12-31T00:00:00Z'), snapshot('2027-01-15T00:00:00Z')], { weekly: 3 }),
    ).toEqual(['weekly: no snapshot in 2027-W01']);
    expect(
      missingBuckets([snapshot('2026-03-10T02:00:00Z')], { daily: 7, weekly: 4, monthly: 6, yearly: 1 }),
    ).toEqual([]);
  });
});

describe('Nix backup jobs', () => {
  it('reads pruneOpts, tags and schedules as NixOS writes them', () => {
    expect(
      policyFromPruneOpts(['--keep-daily 7', '--keep-weekly=4', '--keep-monthly', '6', '--prune']),
    ).toEqual({
      daily: 7,
      weekly: 4,
      monthly: 6,
    });
    expect(policyFromPruneOpts(['--prune'])).toBeUndefined();
    expect(tagsFromBackupArgs(['--tag', 'immich', '--tag=db,nightly', '--exclude-caches'])).toEqual([
      'immich',
      'db',
      'nightly',
    ]);
    expect(maxAgeForSchedule('daily')).toBe(26 * 3_600_000);
    expect(maxAgeForSchedule('*-*-* 03:30:00')).toBe(26 * 3_600_000);
    expect(maxAgeForSchedule('hourly')).toBe(2 * 3_600_000);
    expect(maxAgeForSchedule('Sun 04:00')).toBe(8 * DAY);
    expect(maxAgeForSchedule('*-*-01/2 00:00')).toBeUndefined();
  });

  it('reads services.json as a list, a map, per host, or as an export of services.restic.backups', () => {
    const backup = { enable: true, tags: ['immich'], policy: { 'keep-daily': 7 } };
    expect(servicesJobs([{ name: 'immich', host: 'homeserver', backup }])).toEqual([
      { name: 'immich', host: 'homeserver', tags: ['immich'], policy: { daily: 7 }, source: 'services-json' },
    ]);
    expect(
      servicesJobs({
        services: {
          vaultwarden: { backup: { enable: true, 'max-age': '8h' } },
          off: { backup: { enable: false } },
        },
      }),
    ).toEqual([
      { name: 'vaultwarden', tags: ['vaultwarden'], maxAgeMs: 8 * 3_600_000, source: 'services-json' },
    ]);
    expect(
      servicesJobs({ media: { jellyfin: { backup: { enable: true, paths: ['/var/lib/jellyfin'] } } } }),
    ).toEqual([
      {
        name: 'jellyfin',
        host: 'media',
        tags: ['jellyfin'],
        paths: ['/var/lib/jellyfin'],
        source: 'services-json',
      },
    ]);
    expect(
      servicesJobs({
        immich: {
          repository: '/mnt/backup/restic/immich',
          passwordFile: '/run/agenix/restic-immich',
          paths: ['/srv/photos'],
          pruneOpts: ['--keep-daily 7'],
          extraBackupArgs: ['--tag', 'immich'],
          timerConfig: { OnCalendar: 'daily' },
        },
      }),
    ).toEqual([
      {
        name: 'immich',
        tags: ['immich'],
        paths: ['/srv/photos'],
        policy: { daily: 7 },
        repository: '/mnt/backup/restic/immich',
        passwordFile: '/run/agenix/restic-immich',
        maxAgeMs: 26 * 3_600_000,
        source: 'services-json',
      },
    ]);
  });

  it('refuses a malformed entry with one line naming it', () => {
    expect(() =>
      servicesJobs({ immich: { backup: { enable: true, tags: 'x', policy: { daily: 'seven' } } } }),
    ).toThrow(
      new UserError(
        "Input 'services-json' entry 'immich' has backup.policy.daily that is not a whole number",
      ),
    );
    expect(() => servicesJobs('nope')).toThrow(UserError);
  });
});

describe('restore helpers', () => {
  const nodes = ['/a', '/b', '/c[1]', '/d', '/e'].map((path, index) => ({
    name: path.slice(1),
    type: 'file',
    path,
    size: index === 3 ? 0 : 10,
  }));

  it('samples files without glob characters, non-empty first, differently by day', () => {
    const monday = pickSample(nodes, 3, '2026-03-09');
    expect(monday).toHaveLength(3);
    expect(monday.map((node) => node.path)).not.toContain('/c[1]');
    expect(monday.map((node) => node.path)).not.toContain('/d');
    expect(pickSample(nodes, 4, '2026-03-09').at(-1)?.path).toBe('/d');
    const days = new Set(
      Array.from({ length: 10 }, (_, day) => pickSample(nodes, 1, `2026-03-${10 + day}`)[0]?.path),
    );
    expect(days.size).toBeGreaterThan(1);
  });

  it('reads canary times as epoch seconds, milliseconds or dates', () => {
    expect(canaryTime('1767225600\n')).toBe(1_767_225_600_000);
    expect(canaryTime('1767225600000')).toBe(1_767_225_600_000);
    expect(canaryTime('2026-01-01T00:00:00+00:00')).toBe(1_767_225_600_000);
    expect(canaryTime('hello')).toBeUndefined();
  });
});

describe('locations and labels', () => {
  it('hides a URL password in reports and hands it to the masker', () => {
    expect(displayLocation('rest:https://backup:s3cret@nas:8000/homeserver')).toBe(
      'rest:https://backup:***@nas:8000/homeserver',
    );
    expect(locationSecret('rest:https://backup:s3cret@nas:8000/homeserver')).toBe('s3cret');
    expect(displayLocation('sftp:restic@nas:/srv/restic')).toBe('sftp:restic@nas:/srv/restic');
    expect(locationSecret('/mnt/backup')).toBeUndefined();
  });

  it('names groups by host and tags, or paths when untagged', () => {
    expect(groupLabel({ host: 'homeserver', tags: ['immich'] })).toBe('homeserver [immich]');
    expect(groupLabel({ paths: ['/srv', '/etc'] })).toBe('any host /srv, /etc');
  });
});

describe('summary', () => {
  const report: VerificationReport = {
    healthy: false,
    cancelled: false,
    startedAt: '2026-03-10T04:00:00.000Z',
    finishedAt: '2026-03-10T04:01:00.000Z',
    restic: 'restic 0.14.0',
    checks: ['open', 'freshness', 'retention', 'integrity', 'restore'],
    repositories: [
      {
        name: 'homeserver-local',
        location: '/mnt/backup/restic',
        checks: [
          { check: 'open', status: 'passed', detail: 'format v2, 12 snapshots' },
          { check: 'freshness', status: 'failed', detail: '1/2 groups fresh' },
          { check: 'retention', status: 'not-run', detail: 'no policy' },
          { check: 'integrity', status: 'passed', detail: 'slice 3/7', notes: ['pack slice 3/7 read'] },
          { check: 'restore', status: 'passed', detail: '3 files, 3 hashed' },
        ],
        groups: [
          {
            label: 'homeserver [immich]',
            latestSnapshot: 'ab12cd34',
            ageMs: 3_600_000,
            maxAgeMs: 26 * 3_600_000,
            snapshots: 4,
            status: 'fresh',
          },
          { label: 'homeserver [vault|warden]', maxAgeMs: 8 * 3_600_000, snapshots: 0, status: 'missing' },
        ],
        failures: [],
        durationMs: 1000,
      },
    ],
    failures: [
      {
        repository: 'homeserver-local',
        group: 'homeserver [vault|warden]',
        check: 'freshness',
        kind: 'missing-group',
        message: 'no snapshot of homeserver [vault|warden] in the repository',
      },
    ],
  };

  it('shows repositories × checks with ✅/❌, the failures and the age of every group', () => {
    const summary = renderSummary(report);
    expect(summary).toContain('### ❌ Backups need attention: 1 failure(s) in 1 of 1 repository');
    expect(summary).toContain(
      '| **homeserver-local** | ✅ format v2, 12 snapshots | ❌ 1/2 groups fresh | ➖ | ✅ slice 3/7 | ✅ 3 files, 3 hashed |',
    );
    expect(summary).toContain(
      '| homeserver-local | homeserver [vault\\|warden] | freshness | `missing-group` |',
    );
    expect(summary).toContain(
      '| homeserver-local | homeserver [immich] | `ab12cd34` | 1 h 0 min | 26 h 0 min | 4 | ✅ |',
    );
    expect(summary).toContain('<details><summary>Details per check</summary>');
    expect(summary).toContain('- **homeserver-local** · integrity: pack slice 3/7 read');
  });

  it('says so in the title when everything passed', () => {
    expect(renderSummary({ ...report, healthy: true, failures: [] })).toContain(
      '### ✅ Backups restorable: 1 repository verified',
    );
  });
});

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessRunner } from '../../src/core/process.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { DAY, HOUR, ResticLab, resticTime, type TestRepository } from './restic-fixtures.js';
import { leftovers, plan, repositoryIn, statusOf, verify } from './support.js';

describeEachVersion(RESTIC_VERSIONS, 'open and freshness on real restic', (version) => {
  let lab: ResticLab;
  let homeserver: TestRepository;
  let photos: string;
  let vault: string;

  beforeAll(async () => {
    lab = await ResticLab.create();
    homeserver = await lab.repository('homeserver-local');
    photos = await lab.files('photos', { 'a.jpg': 'jpeg bytes', 'album/b.jpg': 'more jpeg bytes' });
    vault = await lab.files('vaultwarden', { 'db.sqlite3': 'sqlite bytes' });
    const now = Date.now();
    // An old snapshot of immich that is stale on its own: only the latest may be judged.
    await homeserver.backup({
      host: 'homeserver',
      tags: ['immich'],
      paths: [photos],
      time: resticTime(now, 9 * DAY),
    });
    await homeserver.backup({ host: 'homeserver', tags: ['immich'], paths: [photos] });
    await homeserver.backup({
      host: 'homeserver',
      tags: ['vaultwarden'],
      paths: [vault],
      time: resticTime(now, 3 * DAY),
    });
  });

  afterAll(async () => {
    await lab?.dispose();
  });

  const OPEN_AND_FRESHNESS = ['open', 'freshness'] as const;

  describe('open and freshness on real restic', () => {
    it('judges the LATEST snapshot of each group: a fresh immich passes although an older one is stale', async () => {
      const { report } = await verify(
        lab,
        [plan(homeserver, { 'max-age': '26h', groups: [{ host: 'homeserver', tags: ['immich'] }] })],
        { checks: [...OPEN_AND_FRESHNESS] },
      );
      expect(report.failures).toEqual([]);
      expect(report.healthy).toBe(true);
      expect(statusOf(report, 'homeserver-local')).toMatchObject({
        open: 'passed',
        freshness: 'passed',
        retention: 'not-run',
      });
      const [immich] = repositoryIn(report, 'homeserver-local').groups;
      expect(immich).toMatchObject({ label: 'homeserver [immich]', snapshots: 2, status: 'fresh' });
      expect(immich?.ageMs).toBeLessThan(HOUR);
      expect(report.restic).toMatch(/^restic 0\.\d+/);
      expect(await leftovers(lab)).toEqual([]);
    });

    it('reports a group whose latest snapshot was made with --time in the past as stale', async () => {
      const { report } = await verify(
        lab,
        [
          plan(homeserver, {
            groups: [
              { host: 'homeserver', tags: ['immich'] },
              { host: 'homeserver', tags: ['vaultwarden'], 'max-age': '8h' },
            ],
          }),
        ],
        { checks: [...OPEN_AND_FRESHNESS] },
      );
      expect(report.healthy).toBe(false);
      expect(report.failures).toHaveLength(1);
      expect(report.failures[0]).toMatchObject({
        repository: 'homeserver-local',
        group: 'homeserver [vaultwarden]',
        check: 'freshness',
        kind: 'stale',
      });
      expect(report.failures[0]?.message).toMatch(/is 3 d 0 h old .*at most 8 h 0 min is allowed/);
      expect(repositoryIn(report, 'homeserver-local').groups.map((group) => group.status)).toEqual([
        'fresh',
        'stale',
      ]);
    });

    it('reports an expected group without any snapshot as missing-group', async () => {
      const { report } = await verify(
        lab,
        [
          plan(homeserver, {
            groups: [
              { host: 'homeserver', tags: ['immich'] },
              { host: 'media', tags: ['jellyfin'] },
            ],
          }),
        ],
        { checks: [...OPEN_AND_FRESHNESS] },
      );
      expect(report.failures).toEqual([
        {
          repository: 'homeserver-local',
          group: 'media [jellyfin]',
          check: 'freshness',
          kind: 'missing-group',
          message: 'no snapshot of media [jellyfin] in the repository',
        },
      ]);
    });

    it('without groups judges every group the repository holds against max-age', async () => {
      const { report } = await verify(lab, [plan(homeserver, { 'max-age': '2d' })], {
        checks: [...OPEN_AND_FRESHNESS],
      });
      const groups = repositoryIn(report, 'homeserver-local').groups;
      expect(groups.map((group) => [group.label, group.status])).toEqual([
        ['homeserver [immich]', 'fresh'],
        ['homeserver [vaultwarden]', 'stale'],
      ]);
      expect(report.failures.map((failure) => failure.kind)).toEqual(['stale']);
    });

    it('tells a wrong password apart and skips the other checks', async () => {
      const wrong = lab.path('secrets', 'wrong');
      await writeFile(wrong, 'not-the-password\n');
      const { report } = await verify(lab, [plan(homeserver, { 'password-file': wrong })]);
      expect(report.failures).toEqual([
        expect.objectContaining({ repository: 'homeserver-local', check: 'open', kind: 'wrong-password' }),
      ]);
      expect(report.failures[0]?.message).toContain('wrong password or no key found');
      expect(statusOf(report, 'homeserver-local')).toEqual({
        open: 'failed',
        freshness: 'skipped',
        retention: 'skipped',
        integrity: 'skipped',
        restore: 'skipped',
      });
    });

    it('passes a password from password-env through the environment only, and masks it', async () => {
      const calls: string[][] = [];
      const { report, logger } = await verify(
        lab,
        [plan(homeserver, { 'password-file': undefined, 'password-env': 'HOMESERVER_RESTIC_PASSWORD' })],
        {
          checks: [...OPEN_AND_FRESHNESS],
          environment: { HOMESERVER_RESTIC_PASSWORD: homeserver.password },
          runner: (log) => recording(new SpawnProcessRunner(log), calls),
        },
      );
      expect(report.failures.filter((failure) => failure.kind === 'wrong-password')).toEqual([]);
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.flat().join(' ')).not.toContain(homeserver.password);
      expect(logger.secrets.redact(`x ${homeserver.password} y`)).toBe('x *** y');
    });

    it('reports an unset password-env as wrong-password without running restic on the repository', async () => {
      const { report } = await verify(
        lab,
        [plan(homeserver, { 'password-file': undefined, 'password-env': 'UNSET_PW' })],
        {
          environment: { UNSET_PW: undefined },
        },
      );
      expect(report.failures).toEqual([
        expect.objectContaining({
          check: 'open',
          kind: 'wrong-password',
          message: expect.stringContaining('UNSET_PW'),
        }),
      ]);
    });

    it('tells a missing repository apart', async () => {
      const missing = {
        ...homeserver,
        name: 'nas',
        location: lab.path('repos', 'never-initialised'),
      } as TestRepository;
      const { report } = await verify(lab, [plan(missing)]);
      expect(report.failures).toEqual([
        expect.objectContaining({ repository: 'nas', check: 'open', kind: 'missing-repository' }),
      ]);
      expect(report.failures[0]?.message).toMatch(/Is there a repository at the following location\?/);
    });

    it('reports a repository locked by a running restic as locked, after open and freshness passed', async () => {
      const holder = spawn('restic', ['backup', '--stdin', '--stdin-filename', 'held', '--host', 'holder'], {
        env: { ...process.env, ...homeserver.env() },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          holder.stderr.on('data', () => undefined);
          holder.on('error', reject);
          // restic holds its lock from the moment it opened the repository and waits for stdin.
          setTimeout(resolve, 1500);
        });
        const { report } = await verify(lab, [plan(homeserver, { 'max-age': '4d', check: 'structure' })], {
          checks: ['open', 'freshness', 'integrity'],
          lockWait: '3s',
        });
        expect(statusOf(report, 'homeserver-local')).toMatchObject({ open: 'passed', integrity: 'failed' });
        expect(report.failures).toEqual([
          expect.objectContaining({
            check: 'integrity',
            kind: 'locked',
            message: expect.stringMatching(/already locked/),
          }),
        ]);
        // 0.14 has no --retry-lock and fails at once; 0.16+ waits, and the report says for how long and for what.
        const waited =
          /waited \d+\.\d s \(--retry-lock 3s\) for the lock of PID \d+ on \S+ by \S+ \(created [0-9-]+ [0-9:]+, storage ID [0-9a-f]{8}\)/;
        if (version.label === 'restic 0.14') expect(report.failures[0]?.message).not.toMatch(/waited/);
        else expect(report.failures[0]?.message).toMatch(waited);
      } finally {
        holder.stdin.end();
        await new Promise((resolve) => holder.on('close', resolve));
      }
    });

    it('verifies two repositories concurrently, and one at a time with concurrency 1', async () => {
      const offsite = await lab.repository('homeserver-offsite');
      await offsite.backup({ host: 'homeserver', tags: ['immich'], paths: [photos] });
      const plans = [plan(homeserver), plan(offsite)];
      for (const [concurrency, expected] of [
        [2, 2],
        [1, 1],
      ] as const) {
        const inFlight = new InFlight();
        const { report } = await verify(lab, plans, {
          checks: ['open', 'freshness', 'integrity'],
          concurrency,
          runner: (log) => inFlight.wrap(new SpawnProcessRunner(log)),
        });
        expect(report.repositories.map((repository) => repository.name)).toEqual([
          'homeserver-local',
          'homeserver-offsite',
        ]);
        expect(statusOf(report, 'homeserver-offsite')).toMatchObject({ open: 'passed', integrity: 'passed' });
        expect(inFlight.maxRepositories).toBe(expected);
      }
    });
  });

  function recording(runner: ProcessRunner, calls: string[][]): ProcessRunner {
    return {
      run: (command, args, options) => {
        calls.push([command, ...args]);
        return runner.run(command, args, options);
      },
    };
  }

  /** Counts how many repositories have a restic command running at the same moment. */
  class InFlight {
    maxRepositories = 0;
    private readonly running = new Map<string, number>();

    wrap(runner: ProcessRunner): ProcessRunner {
      return {
        run: async (command, args, options) => {
          const repository = options?.env?.RESTIC_REPOSITORY ?? '';
          this.running.set(repository, (this.running.get(repository) ?? 0) + 1);
          const active = [...this.running.entries()].filter(
            ([name, count]) => name !== '' && count > 0,
          ).length;
          this.maxRepositories = Math.max(this.maxRepositories, active);
          try {
            return await runner.run(command, args, options);
          } finally {
            this.running.set(repository, (this.running.get(repository) ?? 1) - 1);
          }
        },
      };
    }
  }
});

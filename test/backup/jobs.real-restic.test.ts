import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesShape } from '../../src/backup/config.js';
import { type BackupVerifyInputs, planRepositories } from '../../src/backup/settings.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { ResticLab, type TestRepository } from './restic-fixtures.js';
import { repositoryIn, verify } from './support.js';

/** Only services-json and a flake without private inputs are read: no Nix access is given. */
const NO_NIX_ACCESS = { sshKeyGiven: false, tokenHosts: [] };

describeEachVersion(RESTIC_VERSIONS, 'backup-verify jobs on real restic', () => {
  let lab: ResticLab;

  beforeAll(async () => {
    lab = await ResticLab.create();
  });

  afterAll(async () => {
    await lab?.dispose();
  });

  function inputs(given: Partial<BackupVerifyInputs>): BackupVerifyInputs {
    return {
      config: undefined,
      repositories: undefined,
      'services-json': undefined,
      'flake-host': undefined,
      path: '.',
      checks: ['open', 'freshness', 'retention'],
      concurrency: 2,
      'restic-command': ['restic'],
      'alert-issue': false,
      token: 'unused',
      ...given,
    };
  }

  function entry(repo: TestRepository, name = repo.name) {
    return { name, repository: repo.location, 'password-file': repo.passwordFile };
  }

  describe('services-json on real restic', () => {
    it('turns every enabled service into a group expectation with its tags and policy', async () => {
      const repo = await lab.repository('services');
      const immich = await lab.files('svc/immich', { 'a.jpg': 'jpeg' });
      const vault = await lab.files('svc/vaultwarden', { 'db.sqlite3': 'sqlite' });
      await repo.backup({ host: 'homeserver', tags: ['immich'], paths: [immich] });
      await repo.backup({ host: 'homeserver', tags: ['vaultwarden'], paths: [vault] });
      const policy = { daily: 7, weekly: 4, monthly: 6, yearly: 1 };
      // Shaped like the services.json a fleet generates from its Nix service metadata.
      const services = {
        immich: {
          host: 'homeserver',
          port: 2283,
          backup: { enable: true, tags: ['immich'], paths: [immich], policy },
        },
        vaultwarden: {
          host: 'homeserver',
          port: 8222,
          backup: { enable: true, tags: ['vaultwarden'], policy },
        },
        paperless: { host: 'homeserver', port: 8000, backup: { enable: true, tags: ['paperless'], policy } },
        jellyfin: { host: 'media', port: 8096, backup: { enable: false } },
      };
      await writeFile(lab.path('services.json'), JSON.stringify(services));
      const logger = new RecordingLogger();
      const plans = await planRepositories(
        inputs({ repositories: repositoriesShape.parse([entry(repo)]), 'services-json': 'services.json' }),
        { workspace: lab.root, ...(await requireNix()), nixAccess: NO_NIX_ACCESS, logger },
      );
      expect(plans).toHaveLength(1);
      expect(plans[0]?.groups.map((group) => [group.host, group.tags, group.source, group.policy])).toEqual([
        ['homeserver', ['immich'], 'services-json', policy],
        ['homeserver', ['vaultwarden'], 'services-json', policy],
        ['homeserver', ['paperless'], 'services-json', policy],
      ]);

      const { report } = await verify(lab, plans, { checks: ['open', 'freshness', 'retention'] });
      expect(report.failures).toEqual([
        {
          repository: 'services',
          group: 'homeserver [paperless]',
          check: 'freshness',
          kind: 'missing-group',
          message:
            'no snapshot of homeserver [paperless] in the repository although services-json enables this backup',
        },
      ]);
      expect(repositoryIn(report, 'services').groups.map((group) => [group.label, group.status])).toEqual([
        ['homeserver [immich]', 'fresh'],
        ['homeserver [vaultwarden]', 'fresh'],
        ['homeserver [paperless]', 'missing'],
      ]);
    });
  });

  describe('flake-host on the example fleet and real restic', () => {
    it('reads services.restic.backups of homeserver and finds a missing group and drifted paths', async () => {
      const { nix, runner } = await requireNix();
      const fleet = await materializeExampleFleet(lab.path('fleet'), { nix, runner });
      const photos = await lab.files('homeserver/srv/photos', { 'a.jpg': 'jpeg' });
      const immichState = await lab.files('homeserver/var/lib/immich', { 'db.dump': 'dump' });
      const vaultDir = await lab.files('homeserver/var/backup/vaultwarden', { 'db.sqlite3': 'sqlite' });
      // The fleet's backups point into this test's temp dir instead of the real machine's paths.
      const host = join(fleet.flakeDir, 'hosts', 'homeserver', 'default.nix');
      const text = (await readFile(host, 'utf8'))
        .replaceAll('"/srv/photos"', JSON.stringify(photos))
        .replaceAll('"/var/lib/immich"', JSON.stringify(immichState))
        .replaceAll('"/var/backup/vaultwarden"', JSON.stringify(vaultDir));
      await writeFile(host, text);

      const immichRepo = await lab.repository('immich');
      const vaultRepo = await lab.repository('vaultwarden');
      // immich backs up only one of its two paths: the configuration drifted from what runs.
      await immichRepo.backup({ host: 'homeserver', tags: ['immich'], paths: [photos] });
      await vaultRepo.backup({ host: 'homeserver', tags: ['vaultwarden'], paths: [vaultDir] });
      await vaultRepo.backup({ host: 'homeserver', tags: ['old-job'], paths: [vaultDir] });

      const logger = new RecordingLogger();
      const plans = await planRepositories(
        inputs({
          repositories: repositoriesShape.parse([entry(immichRepo), entry(vaultRepo)]),
          'flake-host': 'homeserver',
          path: fleet.flakeDir,
        }),
        { workspace: lab.root, nix, runner, nixAccess: NO_NIX_ACCESS, logger },
      );
      expect(
        plans.map((plan) => [
          plan.name,
          plan.groups.map((group) => [group.host, group.tags, group.paths, group.policy]),
        ]),
      ).toEqual([
        [
          'immich',
          [['homeserver', ['immich'], [photos, immichState], { daily: 7, weekly: 4, monthly: 6, yearly: 1 }]],
        ],
        [
          'vaultwarden',
          [['homeserver', ['vaultwarden'], [vaultDir], { daily: 7, weekly: 4, monthly: 6, yearly: 1 }]],
        ],
      ]);
      // vaultwarden runs at 03:30 daily: 26 h; immich's default schedule is daily as well.
      expect(plans.flatMap((plan) => plan.groups.map((group) => group.maxAgeMs))).toEqual([
        26 * 3_600_000,
        26 * 3_600_000,
      ]);

      const { report } = await verify(lab, plans, { checks: ['open', 'freshness', 'retention'] });
      expect(report.failures).toEqual([
        expect.objectContaining({
          repository: 'immich',
          group: 'homeserver [immich]',
          check: 'freshness',
          kind: 'missing-group',
          message: expect.stringMatching(
            /^paths drifted: the latest snapshot [0-9a-f]{8} of homeserver \[immich\] lacks .*var\/lib\/immich/,
          ),
        }),
      ]);
      expect(repositoryIn(report, 'vaultwarden').groups.map((group) => group.status)).toEqual(['fresh']);
    });
  });
});

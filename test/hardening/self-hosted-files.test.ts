/**
 * A homelab's self-hosted runner verifies the backups of the machine it runs on: the backup jobs are
 * in the Nix-generated /etc/svc/services.json and the restic password where sops-nix puts it, both
 * outside the checkout. The workflow file is the trust boundary: an absolute path is read where the
 * workflow wrote it, a relative one stays in the checkout. The built backup-verify runs as the runner
 * starts it, with the real restic, and the password reaches no log, summary, output or report.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResticLab, type TestRepository } from '../backup/restic-fixtures.js';
import { errorLines, runAction } from '../harness/run-action.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { printedOutsideMasks, requireBundles } from './support.js';

let lab: ResticLab;
let nas: TestRepository;
let etc: string;

describeEachVersion(
  RESTIC_VERSIONS,
  'backup-verify reads the runner’s own files where the workflow says',
  () => {
    // Each version writes its own repository.
    beforeAll(async () => {
      requireBundles(['backup-verify']);
      lab = await ResticLab.create();
      nas = await lab.repository('nas', `nas-${randomBytes(12).toString('hex')}`);
      const photos = await lab.files('immich', { 'a.jpg': 'jpeg bytes' });
      await nas.backup({ host: 'homeserver', tags: ['immich'], paths: [photos] });
      // What the fleet's NixOS module writes: each service's backup, per host; the password file elsewhere.
      etc = join(lab.root, 'etc', 'svc');
      await mkdir(etc, { recursive: true });
      await writeFile(
        join(etc, 'services.json'),
        JSON.stringify({
          homeserver: {
            immich: {
              backup: {
                enable: true,
                tags: ['immich'],
                paths: [photos],
                repository: nas.location,
                passwordFile: nas.passwordFile,
                'max-age': '26h',
              },
            },
          },
        }),
      );
    });
    afterAll(() => lab?.dispose());

    it('verifies from an absolute services-json, with a password file outside the checkout', async () => {
      const run = await runAction({
        action: 'backup-verify',
        inputs: { 'services-json': join(etc, 'services.json'), checks: 'open,freshness' },
      });
      expect(run.exitCode, errorLines(run).join('\n')).toBe(0);
      expect(run.outputs.healthy).toBe('true');
      expect(run.summary).toContain('immich');
      const report = await readFile(run.outputs.report as string, 'utf8');
      expect(JSON.stringify(JSON.parse(report))).toContain('homeserver');
      for (const place of [printedOutsideMasks(run), run.summary, JSON.stringify(run.outputs), report])
        expect(place).not.toContain(nas.password);
    });

    it('keeps a relative services-json inside the checkout', async () => {
      const run = await runAction({
        action: 'backup-verify',
        inputs: { 'services-json': '../../etc/svc/services.json' },
      });
      expect(run.exitCode).toBe(1);
      expect(errorLines(run)).toEqual([
        expect.stringMatching(
          /^Input 'services-json' must be an absolute path or a path inside the workspace \(.+\), got '\.\.\/\.\.\/etc\/svc\/services\.json'$/,
        ),
      ]);
    });
  },
);

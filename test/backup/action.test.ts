import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VerificationReport } from '../../src/backup/verification.js';
import { type ActionRun, errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { describeEachVersion, RESTIC_VERSIONS } from '../support/versions.js';
import { DAY, ResticLab, resticTime, type TestRepository } from './restic-fixtures.js';

const SLOW_RESTIC = join(import.meta.dirname, 'fakes', 'slow-restic');

let lab: ResticLab;
let repo: TestRepository;

function repositories(extra: string[] = []): string {
  return [
    '- name: homeserver-local',
    `  repository: ${repo.location}`,
    '  password-env: HOMESERVER_RESTIC_PASSWORD',
    '  max-age: 26h',
    '  groups:',
    '    - { host: homeserver, tags: [immich] }',
    ...extra,
  ].join('\n');
}

/** The password may appear only inside `::add-mask::`, which the runner consumes and never shows. */
async function expectPasswordNowhere(run: ActionRun, password: string): Promise<void> {
  const printed = `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'));
  expect(printed.join('\n')).not.toContain(password);
  expect(run.visibleLog).not.toContain(password);
  expect(run.summary).not.toContain(password);
  expect(JSON.stringify(run.outputs)).not.toContain(password);
  if (run.outputs.report) expect(await readFile(run.outputs.report, 'utf8')).not.toContain(password);
  expect(run.masks).toContain(password);
}

async function readReport(run: ActionRun): Promise<VerificationReport> {
  return JSON.parse(await readFile(run.outputs.report as string, 'utf8')) as VerificationReport;
}

describeEachVersion(RESTIC_VERSIONS, 'actions/backup-verify on the runner-exact harness', () => {
  // Each version writes its own repository.
  beforeAll(async () => {
    const bundle = join(repositoryRoot, 'dist', 'backup-verify', 'index.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
    lab = await ResticLab.create();
    repo = await lab.repository('homeserver-local');
    const immich = await lab.files('immich', { 'a.jpg': 'jpeg bytes', 'b.jpg': 'more jpeg bytes' });
    const vault = await lab.files('vaultwarden', { 'db.sqlite3': 'sqlite bytes' });
    await repo.backup({ host: 'homeserver', tags: ['immich'], paths: [immich] });
    await repo.backup({
      host: 'homeserver',
      tags: ['vaultwarden'],
      paths: [vault],
      time: resticTime(Date.now(), 2 * DAY),
    });
  });

  afterAll(async () => {
    await lab?.dispose();
  });

  it('passes a healthy repository: outputs, JSON report and a summary table, the password nowhere', async () => {
    const run = await runAction({
      action: 'backup-verify',
      inputs: {
        repositories: repositories(['  check: all', '  restore: { sample: 2 }']),
        'restic-command': 'restic',
      },
      env: { HOMESERVER_RESTIC_PASSWORD: repo.password },
    });
    expect(errorLines(run)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.healthy).toBe('true');
    expect(JSON.parse(run.outputs.failures as string)).toEqual([]);
    const report = await readReport(run);
    expect(report.repositories[0]?.checks.map((check) => [check.check, check.status])).toEqual([
      ['open', 'passed'],
      ['freshness', 'passed'],
      ['retention', 'not-run'],
      ['integrity', 'passed'],
      ['restore', 'passed'],
    ]);
    expect(run.summary).toContain('### ✅ Backups restorable: 1 repository verified');
    expect(run.summary).toMatch(
      /\| \*\*homeserver-local\*\* \| ✅ format v\d, 2 snapshots \| ✅ 1\/1 groups fresh \| ➖ \| ✅ all \| ✅ 2 files, 2 hashed \|/,
    );
    await expectPasswordNowhere(run, repo.password);
    expect(
      (await readdir(run.runnerTemp)).filter((name) => name.startsWith('flakeflow-backup-scratch-')),
    ).toEqual([]);
  });

  it('fails the step on a stale group with one error line and annotations, the password nowhere', async () => {
    const run = await runAction({
      action: 'backup-verify',
      inputs: {
        repositories: repositories(['    - { host: homeserver, tags: [vaultwarden], max-age: 8h }']),
        checks: 'open,freshness',
      },
      env: { HOMESERVER_RESTIC_PASSWORD: repo.password },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    const failures = JSON.parse(run.outputs.failures as string) as { kind: string; group: string }[];
    expect(failures.map((failure) => [failure.kind, failure.group])).toEqual([
      ['stale', 'homeserver [vaultwarden]'],
    ]);
    expect(errorLines(run).at(-1)).toMatch(
      /^1 backup check\(s\) failed, first: homeserver-local: the latest snapshot/,
    );
    expect(run.annotations[0]).toMatchObject({
      command: 'error',
      properties: { title: 'backup stale: homeserver-local · homeserver [vaultwarden]' },
    });
    expect(run.summary).toContain('| homeserver-local | homeserver [vaultwarden] |');
    await expectPasswordNowhere(run, repo.password);
  });

  it('keeps a wrong password out of every stream too', async () => {
    const wrong = 'definitely-not-the-password-42';
    const run = await runAction({
      action: 'backup-verify',
      inputs: { repositories: repositories() },
      env: { HOMESERVER_RESTIC_PASSWORD: wrong },
    });
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.outputs.failures as string)).toEqual([
      expect.objectContaining({ check: 'open', kind: 'wrong-password' }),
    ]);
    await expectPasswordNowhere(run, wrong);
  });

  it('on SIGTERM writes a partial report, removes its temp data and fails the step', async () => {
    const run = await runAction({
      action: 'backup-verify',
      inputs: {
        repositories: repositories(['  check: structure']),
        checks: 'open,freshness,integrity',
        'restic-command': SLOW_RESTIC,
      },
      env: { HOMESERVER_RESTIC_PASSWORD: repo.password },
      cancel: { afterMs: 5_000, signal: 'SIGTERM' },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    const report = await readReport(run);
    expect(report.cancelled).toBe(true);
    expect(report.repositories[0]?.checks.map((check) => [check.check, check.status])).toEqual([
      ['open', 'passed'],
      ['freshness', 'passed'],
      ['retention', 'not-run'],
      ['integrity', 'cancelled'],
      ['restore', 'not-run'],
    ]);
    expect(errorLines(run).at(-1)).toMatch(/^Backup verification was cancelled; the partial report is at /);
    expect(run.summary).toContain('⏹️ Backup verification cancelled');
    expect(
      (await readdir(run.runnerTemp)).filter((name) => name.startsWith('flakeflow-backup-scratch-')),
    ).toEqual([]);
  });

  it('refuses a config file that does not exist with one line naming the input', async () => {
    const run = await runAction({ action: 'backup-verify', inputs: { config: 'backups.yml' } });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      expect.stringMatching(/^Input 'config' names .*backups\.yml, which cannot be read: it does not exist$/),
    ]);
  });
});

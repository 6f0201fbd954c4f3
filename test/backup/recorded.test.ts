import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Restic, ResticError } from '../../src/backup/restic.js';
import { parseResticJson, type ResticFailureKind } from '../../src/backup/restic-output.js';
import { parseResticVersion } from '../../src/backup/restic-version.js';
import { RECORDED_DIR, ReplayRunner, readRecording } from '../support/recorded.js';

const DIR = 'restic/restic-0.18';
const recording = (name: string) => readRecording(`${DIR}/${name}.txt`);
const VERSION = parseResticVersion(recording('01-version').stdout);

/** The Restic of flakeflow, answered by one recorded run of restic 0.18.0. */
function replay(name: string): Restic {
  return new Restic(
    new ReplayRunner(recording('01-version'), recording(name)),
    { repository: '<restic>/repo', password: { file: '<restic>/pw' }, env: {} },
    { command: ['restic'], baseEnv: {} },
    VERSION,
  );
}

async function failureOf(run: Promise<unknown>): Promise<{ kind: ResticFailureKind; resticText: string }> {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ResticError);
  return error as ResticError;
}

const LOCK_TEXT =
  'unable to create lock in backend: repository is already locked exclusively by PID 19670 on vm by root (UID 0, GID 0)';

describe('recorded restic 0.18 outputs through flakeflow’s parsers', () => {
  it('reads the version', () => {
    expect(VERSION).toMatchObject({ major: 0, minor: 18, patch: 0 });
  });

  it('reads snapshots, forget --dry-run and cat config', async () => {
    const snapshots = await replay('04-snapshots-json').snapshots();
    expect(snapshots.map((snapshot) => snapshot.short_id)).toEqual(['b0fe6782', 'bd7ff0ff']);
    expect(snapshots.every((snapshot) => snapshot.hostname === 'vm')).toBe(true);
    const groups = await replay('07-forget-dry-run-json').forgetDryRun(['--keep-last', '1']);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ host: 'vm', paths: ['<restic>/data'], remove: null });
    expect(groups[0]?.keep).toHaveLength(2);
    const grouped = await replay('07b-forget-dry-run-json-group').forgetDryRun(['--keep-last', '1'], {
      host: 'vm',
    });
    expect(grouped.map((group) => [group.host, group.paths, group.keep?.length])).toEqual([
      ['vm', ['<restic>/data'], 1],
    ]);
    await expect(replay('09d-cat-config').catConfig()).resolves.toMatchObject({
      version: 2,
      id: '371375be726b2a541da6e0a0b2ec0b849350b53389daead7fb6c5aab6de98f81',
    });
    expect(parseResticJson(recording('09c-stats-json').stdout, 'stats')).toEqual({
      total_size: 400017,
      total_file_count: 13,
      snapshots_count: 2,
    });
  });

  it('passes a healthy check, in text and in JSON, whole or a subset', async () => {
    for (const name of [
      '05-check',
      '05b-check-json',
      '06-check-read-data-subset',
      '06b-check-read-data-subset-json',
    ]) {
      await expect(replay(name).check(undefined, undefined)).resolves.toEqual({ ok: true, errors: [] });
    }
  });

  it('reads a flipped pack byte as errors naming the pack, in text and in JSON', async () => {
    const pack = 'pack cb22bf7a8ece27c66b753b21e25edd910676650e9b51702b851e2974fba19c6d contains 2 errors';
    for (const name of ['15-corrupt-check-read-data', '15b-corrupt-check-read-data-json']) {
      const outcome = await replay(name).check(true, undefined);
      expect(outcome.ok).toBe(false);
      expect(outcome.errors[0]).toMatch(new RegExp(`^${pack}: \\[blob 814a3895`));
    }
  });

  it('joins an error restic split over two JSON messages into one sentence', async () => {
    const outcome = await replay('16-corrupt-tree-check-read-data-json').check(true, undefined);
    expect(outcome.errors[0]).toBe(
      'error for tree a63fc1df: decrypting blob <tree/a63fc1df> from 0b8d5ef1 failed: ciphertext verification failed',
    );
    expect(outcome.errors[1]).toMatch(/^pack 0b8d5ef198c7e8bf\w+ contains 2 errors: /);
  });

  it('tells a wrong password, a missing repository and a lock apart, in text and in JSON', async () => {
    const cases: [string, ResticFailureKind, string][] = [
      ['10-wrong-password', 'wrong-password', 'wrong password or no key found'],
      ['10b-wrong-password-json', 'wrong-password', 'wrong password or no key found'],
      ['11-missing-repo', 'missing-repository', 'Is there a repository at the following location?'],
      ['11b-missing-repo-json', 'missing-repository', 'Is there a repository at the following location?'],
      ['13-locked-exclusive-snapshots', 'locked', 'already locked exclusively by PID 19162'],
      ['13b-locked-exclusive-snapshots-json', 'locked', 'already locked exclusively by PID 19162'],
      ['13d-locked-exclusive-snapshots-retry', 'locked', 'already locked exclusively by PID 19162'],
      ['14-stale-lock-snapshots', 'locked', 'already locked exclusively by PID 19670'],
    ];
    // A shared lock (a running backup) does not stop snapshots.
    await expect(replay('12d-locked-shared-snapshots').snapshots()).resolves.toHaveLength(2);
    for (const [name, kind, text] of cases) {
      const failure = await failureOf(replay(name).snapshots());
      expect({ name, kind: failure.kind }).toEqual({ name, kind });
      expect(failure.resticText).toContain(text);
    }
  });

  it('says how long check waited with --retry-lock, and for which lock', async () => {
    const failure = await failureOf(replay('14b-stale-lock-check-json').check(undefined, '5m'));
    expect(failure.kind).toBe('locked');
    expect(failure.resticText).toMatch(
      /^waited 1 ms \(--retry-lock 5m\) for the exclusive lock of PID 19670 on vm by root \(created 2026-12-03 07:38:35, storage ID b915a633\); /,
    );
    expect(failure.resticText).toContain(LOCK_TEXT);
    for (const name of ['12-locked-shared-check', '12b-locked-shared-check-json']) {
      const shared = await failureOf(replay(name).check(undefined, '5m'));
      expect(shared.resticText).toContain(
        'for the lock of PID 18703 on vm by root (created 2026-12-03 07:38:04, storage ID 62facfe4)',
      );
    }
  });

  it('reads restore --verify in text and JSON', async () => {
    expect(recording('08-restore-verify').stdout).toMatch(
      /^finished verifying 3 files in <restic>\/restore1/m,
    );
    expect(parseResticJson(recording('08b-restore-verify-json').stdout, 'restore')).toEqual({
      message_type: 'summary',
      total_files: 7,
      files_restored: 7,
      total_bytes: 200011,
      bytes_restored: 200011,
    });
    await expect(replay('09-dump').dumpLatest('/f', {})).resolves.toBe('hello\n\n');
  });

  it('lists a snapshot’s nodes from ls --json', async () => {
    const nodes = await replay('09b-ls-json').ls('latest');
    expect(nodes).toHaveLength(7);
    expect(nodes.map((node) => node.path)).toEqual([
      '<tmp>',
      '<restic>',
      '<restic>/data',
      '<restic>/data/a.txt',
      '<restic>/data/c.txt',
      '<restic>/data/sub',
      '<restic>/data/sub/b.bin',
    ]);
  });

  it('replays every recording but those of commands flakeflow never runs', () => {
    const neverRun = [
      '02-init',
      '02b-init-json',
      '03-backup-json',
      '03b-backup-json-2',
      '12c-locked-shared-prune-json',
      '12e-list-locks',
      '13c-locked-exclusive-backup-json',
      '14c-unlock',
    ];
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const unreplayed = readdirSync(new URL(DIR, RECORDED_DIR))
      .map((name) => name.replace(/\.txt$/, ''))
      .filter((name) => !neverRun.includes(name) && !source.includes(`'${name}'`) && name !== '01-version');
    expect(unreplayed).toEqual([]);
  });
});

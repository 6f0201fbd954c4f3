import { describe, expect, it } from 'vitest';
import { Restic, ResticError } from '../../src/backup/restic.js';
import { classifyResticFailure, parseResticJson, resticMessage } from '../../src/backup/restic-output.js';
import { parseResticVersion, resticFeatures } from '../../src/backup/restic-version.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../src/core/process.js';

const v = (text: string) => parseResticVersion(text);

describe('restic versions', () => {
  it.each([
    ['restic 0.14.0 compiled with go1.19.8 on linux/amd64', [0, 14, 0]],
    ['restic 0.17.1 compiled with go1.23.1 on linux/arm64', [0, 17, 1]],
    ['restic 0.16.4-dev (compiled manually) compiled with go1.22 on darwin/arm64', [0, 16, 4]],
    ['restic 0.19.0 compiled with go1.25.0 on linux/amd64\n', [0, 19, 0]],
  ])('reads %s', (text, [major, minor, patch]) => {
    expect(v(text)).toMatchObject({ major, minor, patch });
  });

  it('refuses output that is not restic', () => {
    expect(() => v('rustic 0.9.0')).toThrow(/cannot read a restic version/);
  });

  it.each([
    [
      'restic 0.14.0',
      { retryLock: false, checkJson: false, repositoryExitCodes: false, passwordExitCode: false },
    ],
    [
      'restic 0.16.0',
      { retryLock: true, checkJson: false, repositoryExitCodes: false, passwordExitCode: false },
    ],
    [
      'restic 0.17.0',
      { retryLock: true, checkJson: false, repositoryExitCodes: true, passwordExitCode: false },
    ],
    [
      'restic 0.17.1',
      { retryLock: true, checkJson: false, repositoryExitCodes: true, passwordExitCode: true },
    ],
    [
      'restic 0.18.0',
      { retryLock: true, checkJson: true, repositoryExitCodes: true, passwordExitCode: true },
    ],
  ])('%s can do %j', (text, features) => {
    expect(resticFeatures(v(text))).toEqual(features);
  });
});

function result(exitCode: number, stderr: string, stdout = ''): ProcessResult {
  return {
    command: 'restic',
    args: [],
    exitCode,
    signal: null,
    stdout,
    stderr,
    timedOut: false,
    durationMs: 1,
  };
}

describe('restic failures on every version', () => {
  const old = v('restic 0.14.0');
  const modern = v('restic 0.18.1');
  it.each([
    ['0.14 wrong password', old, result(1, 'Fatal: wrong password or no key found\n'), 'wrong-password'],
    [
      '0.14 missing repository',
      old,
      result(
        1,
        'Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?\n/r\n',
      ),
      'missing-repository',
    ],
    [
      '0.14 locked',
      old,
      result(
        1,
        'unable to create lock in backend: repository is already locked by PID 7 on vm by root (UID 0, GID 0)\n',
      ),
      'locked',
    ],
    [
      '0.14 sftp down',
      old,
      result(
        1,
        'subprocess ssh: ssh: connect to host nas port 22: Connection refused\nFatal: unable to open repository at sftp:nas:/r: unable to start the sftp session, error: EOF\n',
      ),
      'unreachable',
    ],
    [
      '0.17 exit 10',
      v('restic 0.17.0'),
      result(10, 'Fatal: repository does not exist: unable to open config file'),
      'missing-repository',
    ],
    ['0.17 exit 11', v('restic 0.17.0'), result(11, 'Fatal: unable to create lock in backend'), 'locked'],
    [
      '0.17.1 exit 12',
      v('restic 0.17.1'),
      result(12, 'Fatal: wrong password or no key found'),
      'wrong-password',
    ],
    [
      '0.18 JSON exit_error',
      modern,
      result(
        12,
        '{"message_type":"exit_error","code":12,"message":"Fatal: wrong password or no key found"}\n',
      ),
      'wrong-password',
    ],
    ['0.14 exit 11 is no lock code there', old, result(11, 'something else'), 'failed'],
    ['a timeout', old, { ...result(1, ''), timedOut: true }, 'unreachable'],
    ['anything else', modern, result(1, 'Fatal: repository contains errors'), 'failed'],
  ])('%s', (_name, version, failed, kind) => {
    expect(classifyResticFailure(failed, version)).toBe(kind);
  });

  it('says why in one line, without progress lines', () => {
    expect(
      resticMessage(
        result(
          1,
          'using temporary cache in /tmp/x\ncreate exclusive lock for repository\nFatal: unable to open config file: stat /r/config: no such file\nIs there a repository at the following location?\n/r\n',
        ),
      ),
    ).toBe(
      'unable to open config file: stat /r/config: no such file Is there a repository at the following location? /r',
    );
    expect(
      resticMessage(result(12, '{"message_type":"exit_error","code":12,"message":"Fatal: wrong password"}')),
    ).toBe('Fatal: wrong password');
  });
});

describe('restic JSON', () => {
  it('reads the last JSON line when 0.19.0 printed a progress line first', () => {
    const stdout =
      '[0:00] 100.00%  3 / 3 snapshots\n{"total_size":12,"total_file_count":2,"snapshots_count":3}\n';
    expect(parseResticJson(stdout, 'stats')).toEqual({
      total_size: 12,
      total_file_count: 2,
      snapshots_count: 3,
    });
  });

  it('fails naming the command when there is no JSON at all', () => {
    expect(() => parseResticJson('Fatal: nope', 'snapshots')).toThrow(
      'restic snapshots printed no JSON: Fatal: nope',
    );
  });
});

/** Answers like restic would, and records every argv and environment. */
class ScriptedRestic implements ProcessRunner {
  readonly calls: { args: readonly string[]; options: RunOptions }[] = [];
  constructor(private readonly answer: (args: readonly string[]) => ProcessResult) {}
  async run(_command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    this.calls.push({ args, options });
    return this.answer(args);
  }
}

describe('the Restic wrapper', () => {
  const ok = (stdout: string) => result(0, '', stdout);
  const access = {
    repository: '/r',
    password: { file: '/run/secrets/hunter22' },
    env: { AWS_ACCESS_KEY_ID: 'AK' },
  };
  const options = {
    command: ['nix', 'run', 'nixpkgs#restic', '--'],
    baseEnv: { PATH: '/bin', RESTIC_PASSWORD: 'inherited', HOME: '/h' },
  };

  it('passes --no-lock to read-only commands, the password only through the environment, and nothing inherited', async () => {
    const runner = new ScriptedRestic((args) => ok(args.includes('snapshots') ? '[]' : '[]'));
    const restic = new Restic(runner, access, options, v('restic 0.14.0'));
    await restic.snapshots();
    await restic.forgetDryRun(['--keep-daily', '7'], { host: 'homeserver', tags: ['immich', 'db'] });
    await restic.dumpLatest('/var/lib/canary', { paths: ['/var/lib'] });
    expect(runner.calls.map((call) => call.args)).toEqual([
      ['run', 'nixpkgs#restic', '--', 'snapshots', '--json', '--no-lock'],
      [
        'run',
        'nixpkgs#restic',
        '--',
        'forget',
        '--dry-run',
        '--json',
        '--no-lock',
        '--keep-daily',
        '7',
        '--host',
        'homeserver',
        '--tag',
        'immich,db',
      ],
      ['run', 'nixpkgs#restic', '--', 'dump', '--no-lock', '--path', '/var/lib', 'latest', '/var/lib/canary'],
    ]);
    for (const call of runner.calls) {
      expect(call.args.join(' ')).not.toContain('hunter22');
      expect(call.options.cleanEnv).toBe(true);
      expect(call.options.env).toEqual({
        PATH: '/bin',
        HOME: '/h',
        AWS_ACCESS_KEY_ID: 'AK',
        RESTIC_REPOSITORY: '/r',
        RESTIC_PASSWORD_FILE: '/run/secrets/hunter22',
      });
    }
  });

  it('lets check wait for a lock only where restic has --retry-lock, and asks for JSON from 0.18', async () => {
    const argsOn = async (version: string) => {
      const runner = new ScriptedRestic(() => ok('{"message_type":"summary","num_errors":0}'));
      await new Restic(runner, access, options, v(version)).check('3/7', '5m');
      return runner.calls[0]?.args.slice(3);
    };
    expect(await argsOn('restic 0.14.0')).toEqual(['check', '--read-data-subset=3/7']);
    expect(await argsOn('restic 0.16.2')).toEqual(['check', '--read-data-subset=3/7', '--retry-lock', '5m']);
    expect(await argsOn('restic 0.18.0')).toEqual([
      'check',
      '--read-data-subset=3/7',
      '--json',
      '--retry-lock',
      '5m',
    ]);
  });

  it('reads check errors from the JSON of 0.18+', async () => {
    const runner = new ScriptedRestic(() =>
      result(
        1,
        '{"message_type":"error","message":"pack 0b61c3d0: Pack ID does not match"}\n',
        '{"message_type":"summary","num_errors":1,"broken_packs":["0b61c3d0"]}\n',
      ),
    );
    const outcome = await new Restic(runner, access, options, v('restic 0.18.0')).check(true, undefined);
    expect(outcome).toEqual({ ok: false, errors: ['pack 0b61c3d0: Pack ID does not match'] });
  });

  it('reads ls --json nodes as 0.14 (struct_type) and later versions (message_type) mark them', async () => {
    const stdout = [
      '{"time":"2026-03-10T04:00:00Z","paths":["/srv"],"struct_type":"snapshot"}',
      '{"name":"a","type":"file","path":"/srv/a","size":3,"struct_type":"node"}',
      '{"name":"b","type":"file","path":"/srv/b","size":4,"message_type":"node"}',
      '{"message_type":"snapshot","paths":["/srv"]}',
    ].join('\n');
    const runner = new ScriptedRestic(() => ok(stdout));
    const nodes = await new Restic(runner, access, options, v('restic 0.18.0')).ls('abc');
    expect(nodes.map((node) => node.path)).toEqual(['/srv/a', '/srv/b']);
    expect(runner.calls[0]?.args.slice(3)).toEqual(['ls', '--json', '--no-lock', 'abc']);
  });

  it('raises a lock conflict of check as a ResticError of kind locked', async () => {
    const runner = new ScriptedRestic(() =>
      result(11, 'Fatal: unable to create lock in backend: repository is already locked'),
    );
    const check = new Restic(runner, access, options, v('restic 0.17.0')).check(undefined, '1m');
    await expect(check).rejects.toBeInstanceOf(ResticError);
    await expect(check).rejects.toMatchObject({ kind: 'locked', subcommand: 'check' });
  });
});

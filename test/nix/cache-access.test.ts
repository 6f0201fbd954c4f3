import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildInputs } from '../../src/build/inputs.js';
import { UserError } from '../../src/core/errors.js';
import { parseInputs } from '../../src/core/inputs.js';
import { prepareNixAccess } from '../../src/nix/access.js';
import { cacheAccessSettings, nixConfigSubstituters, tokenNetrc } from '../../src/nix/cache-access.js';
import { netrcPasswords, netrcProblem } from '../../src/nix/netrc.js';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('netrcProblem', () => {
  it.each([
    ['machine cache.example.org login ci password p4ss', undefined],
    [
      'machine a.org\n  login ci\n  password p4ss\nmachine b.org password t0k\ndefault login x password y',
      undefined,
    ],
    ['', 'at least one "machine HOST" entry'],
    ['login ci password p4ss', '"machine HOST" before "login"'],
    ['machine a.org login', 'a value after "login"'],
    ['machine a.org p4ss', 'a keyword (machine, login, password…) where a value stood'],
    ['machine a.org macdef init', 'no macdef (Nix runs no macros)'],
  ])('%j → %s', (netrc, problem) => {
    expect(netrcProblem(netrc)).toBe(problem);
  });

  it('finds every password to mask', () => {
    expect(netrcPasswords('machine a login x password p1\nmachine b password p2')).toEqual(['p1', 'p2']);
  });

  it('refuses a malformed netrc input in one line that never shows it', () => {
    const parse = () =>
      parseInputs(buildInputs, (name) => (name === 'netrc' ? 'hunter2 machine' : undefined));
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(/^Input 'netrc' must be a netrc/);
    expect(parse).not.toThrow(/hunter2/);
  });
});

describe('cache-token and the caches it is for', () => {
  it('becomes a password line for each HTTP(S) host, once, and none for other stores', () => {
    expect(
      tokenNetrc(' t0k\n', [
        'https://attic.lan:8080/fleet?priority=30',
        's3://nix-cache?region=eu-west-1',
        'https://ci@push.example.org/upload',
        'http://attic.lan/other',
      ]),
    ).toBe('machine attic.lan password t0k\nmachine push.example.org password t0k\n');
  });

  it('reads the substituters NIX_CONFIG names', () => {
    expect(
      nixConfigSubstituters(
        'max-jobs = 4\nextra-substituters = https://a.org https://b.org\nsubstituters =\n',
      ),
    ).toEqual(['https://a.org', 'https://b.org']);
    expect(nixConfigSubstituters(undefined)).toEqual([]);
  });

  it('puts the netrc input before the token lines, so its entry for a host wins', () => {
    expect(
      cacheAccessSettings({ netrc: 'machine a.org login ci password p', 'cache-token': 't' }, [
        'https://a.org',
      ]),
    ).toEqual({ netrc: 'machine a.org login ci password p\nmachine a.org password t\n' });
    expect(cacheAccessSettings({}, ['https://a.org'])).toEqual({});
  });
});

describe('the netrc in the Nix access', () => {
  it('is a 0600 file of the private directory that the private nix.conf names, its passwords masked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flakeflow-cache-access-test-'));
    temps.push(dir);
    const masked: string[] = [];
    const access = await prepareNixAccess(
      { netrc: 'machine 127.0.0.1 login ci password s3cret' },
      {
        tempDir: dir,
        cleanup: { add: () => {} },
        mask: (secret) => masked.push(secret),
        stepEnvironment: { HOME: '/home/runner' },
      },
    );
    const directory = access.directory as string;
    const netrcFile = join(directory, 'netrc');
    expect(await readFile(netrcFile, 'utf8')).toBe('machine 127.0.0.1 login ci password s3cret\n');
    expect((await stat(netrcFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(directory, 'nix.conf'), 'utf8')).toBe(`netrc-file = ${netrcFile}\n`);
    expect(access.roles.nix?.NIX_USER_CONF_FILES).toBe(
      `${join(directory, 'nix.conf')}:/home/runner/.config/nix/nix.conf:/etc/xdg/nix/nix.conf`,
    );
    expect(masked).toEqual(['s3cret']);
    await access.remove();
    await expect(stat(directory)).rejects.toThrow();
  });
});

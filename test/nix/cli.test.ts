import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { installable, NixCli } from '../../src/nix/cli.js';
import { NIX_NOT_FOUND, NixError, nixErrorText, withoutFramesIn } from '../../src/nix/errors.js';
import { FakeNixRunner } from '../support/nix.js';

const FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

describe('NixCli.updateLock', () => {
  it.each([
    [
      'nix (Nix) 2.8.0',
      ['secrets', 'dotfiles'],
      ['flake', 'lock', ...FEATURES, '/fleet', '--update-input', 'secrets', '--update-input', 'dotfiles'],
    ],
    ['nix (Nix) 2.8.0', [], ['flake', 'update', ...FEATURES, '/fleet']],
    [
      'nix (Nix) 2.18.1',
      ['dotfiles/secrets'],
      ['flake', 'lock', ...FEATURES, '/fleet', '--update-input', 'dotfiles/secrets'],
    ],
    ['nix (Nix) 2.19.0', ['secrets'], ['flake', 'update', ...FEATURES, 'secrets', '--flake', '/fleet']],
    ['nix (Nix) 2.19.0', [], ['flake', 'update', ...FEATURES, '--flake', '/fleet']],
    [
      'nix (Determinate Nix 3.8.2) 2.31.1',
      ['secrets', 'dotfiles'],
      ['flake', 'update', ...FEATURES, 'secrets', 'dotfiles', '--flake', '/fleet'],
    ],
    [
      'nix (Lix, like Nix) 2.91.1',
      ['secrets'],
      ['flake', 'lock', ...FEATURES, '/fleet', '--update-input', 'secrets'],
    ],
  ])('on %s with inputs %j runs %j', async (versionLine, inputs, expected) => {
    const runner = new FakeNixRunner(versionLine);
    await new NixCli(runner).updateLock('/fleet', inputs);
    expect(runner.commands).toEqual([expected]);
  });

  it('refuses an input name nix would read as an option', async () => {
    const runner = new FakeNixRunner('nix (Nix) 2.31.1');
    await expect(new NixCli(runner).updateLock('/fleet', ['--commit-lock-file'])).rejects.toThrow(UserError);
    expect(runner.commands).toEqual([]);
  });
});

describe('NixCli', () => {
  it('asks nix for its version once', async () => {
    const runner = new FakeNixRunner('nix (Nix) 2.8.0');
    const nix = new NixCli(runner);
    expect((await nix.version()).minor).toBe(8);
    expect((await nix.version()).minor).toBe(8);
    expect(runner.calls.map((call) => call.args)).toEqual([['--version']]);
  });

  it('puts nix-options after the subcommand and before what it acts on', async () => {
    const runner = new FakeNixRunner('nix (Nix) 2.8.0', () => ({ stdout: '"pi"' }));
    const nix = new NixCli(runner, {
      nixOptions: ['--option', 'max-jobs', '4'],
      command: '/opt/nix/bin/nix',
    });
    await expect(nix.evalJson('/fleet#nixosConfigurations.pi.config.networking.hostName')).resolves.toBe(
      'pi',
    );
    await nix.evalJson({ expr: '1 + 1' }, { apply: 'x: x', impure: true });
    expect(runner.calls.every((call) => call.command === '/opt/nix/bin/nix')).toBe(true);
    expect(runner.commands).toEqual([
      [
        'eval',
        ...FEATURES,
        '--option',
        'max-jobs',
        '4',
        '--json',
        '/fleet#nixosConfigurations.pi.config.networking.hostName',
      ],
      [
        'eval',
        ...FEATURES,
        '--option',
        'max-jobs',
        '4',
        '--json',
        '--impure',
        '--apply',
        'x: x',
        '--expr',
        '1 + 1',
      ],
    ]);
  });

  it('builds with --json --no-link and returns the store paths', async () => {
    const built = [
      { drvPath: '/nix/store/a-pi.drv', outputs: { out: '/nix/store/b-pi' }, startTime: 1, stopTime: 2 },
    ];
    const runner = new FakeNixRunner('nix (Nix) 2.31.1', () => ({ stdout: JSON.stringify(built) }));
    const results = await new NixCli(runner).build(['/fleet#pi']);
    expect(results).toEqual([{ drvPath: '/nix/store/a-pi.drv', outputs: { out: '/nix/store/b-pi' } }]);
    expect(runner.commands).toEqual([['build', ...FEATURES, '--json', '--no-link', '/fleet#pi']]);
  });

  it('returns a derivation once when several installables name it, as Nix 2.26 repeats it n² times', async () => {
    const home = { drvPath: '/nix/store/a-home.drv', outputs: { out: '/nix/store/b-home' } };
    const pi = { drvPath: '/nix/store/c-pi.drv', outputs: { out: '/nix/store/d-pi' } };
    // What Nix 2.26 printed for `nix build --json <alice> <bob> <pi>`, alice and bob one derivation.
    const runner = new FakeNixRunner('nix (Nix) 2.26.3', () => ({
      stdout: JSON.stringify([home, home, home, home, pi]),
    }));
    expect(await new NixCli(runner).build(['/fleet#alice', '/fleet#bob', '/fleet#pi'])).toEqual([home, pi]);
  });

  it('raises NixError carrying Nix’s own message without progress lines', async () => {
    const stderr = [
      "warning: Git tree '/fleet' is dirty",
      "building '/nix/store/x-secrets.drv'...",
      "\u001b[31;1merror:\u001b[0m undefined variable 'email'",
      '',
      '       at /nix/store/abc-source/home.nix:9:16:',
      '',
      '            8|     userName = "Alice Liddell";',
      '            9|     userEmail = email;',
      '             |                ^',
      "(use '--show-trace' to show detailed location information)",
      '',
    ].join('\n');
    const runner = new FakeNixRunner('nix (Nix) 2.8.0', () => ({ exitCode: 1, stderr }));
    const failure = await new NixCli(runner).evalJson('/fleet#x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NixError);
    const error = failure as NixError;
    expect(error.subcommand).toBe('nix eval');
    expect(error.exitCode).toBe(1);
    expect(error.nixMessage).toBe(
      [
        "error: undefined variable 'email'",
        '',
        '       at /nix/store/abc-source/home.nix:9:16:',
        '',
        '            8|     userName = "Alice Liddell";',
        '            9|     userEmail = email;',
        '             |                ^',
      ].join('\n'),
    );
    expect(error.message).toBe(`nix eval failed:\n${error.nixMessage}`);
  });

  it('turns a missing nix into a UserError saying how to install it', async () => {
    const nix = new NixCli(new SpawnProcessRunner(new RecordingLogger()), {
      command: '/nonexistent/bin/nix',
    });
    const failure = await nix.version().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as Error).message).toBe(NIX_NOT_FOUND);
    expect(NIX_NOT_FOUND).toMatch(/install Nix/);
  });
});

describe('nixErrorText', () => {
  it('keeps every error of a failed build and the log lines Nix quotes', () => {
    const stderr = [
      'these 2 derivations will be built:',
      '  /nix/store/a-broken.drv',
      "building '/nix/store/a-broken.drv'...",
      "error: builder for '/nix/store/a-broken.drv' failed with exit code 1;",
      '       last 1 log lines:',
      '       > disk full',
      "       For full logs, run 'nix log /nix/store/a-broken.drv'.",
      "error: 1 dependencies of derivation '/nix/store/b-top.drv' failed to build",
    ].join('\n');
    expect(nixErrorText(stderr).split('\n')).toEqual([
      "error: builder for '/nix/store/a-broken.drv' failed with exit code 1;",
      '       last 1 log lines:',
      '       > disk full',
      "       For full logs, run 'nix log /nix/store/a-broken.drv'.",
      "error: 1 dependencies of derivation '/nix/store/b-top.drv' failed to build",
    ]);
  });

  it('puts the message of Nix ≥ 2.20 first, before its trace, as older Nix printed it', () => {
    // What Nix 2.26.3 printed for `let f = x: builtins.readFile /nonexistent/authorized_keys/bob; in { a = f 1; }`.
    const stderr = [
      'error:',
      "       … while evaluating attribute 'a'",
      '         at «string»:1:69:',
      '',
      "       … while calling the 'readFile' builtin",
      '         at «string»:1:12:',
      '',
      "       (stack trace truncated; use '--show-trace' to show the full, detailed trace)",
      '',
      "       error: access to absolute path '/nonexistent' is forbidden in pure evaluation mode (use '--impure' to override)",
      '',
    ].join('\n');
    expect(nixErrorText(stderr).split('\n')).toEqual([
      "error: access to absolute path '/nonexistent' is forbidden in pure evaluation mode (use '--impure' to override)",
      '',
      "       … while evaluating attribute 'a'",
      '         at «string»:1:69:',
      '',
      "       … while calling the 'readFile' builtin",
      '         at «string»:1:12:',
    ]);
  });

  it('falls back to the last lines that are not progress when there is no error: line', () => {
    expect(nixErrorText("warning: Git tree '/x' is dirty\nSegmentation fault\n")).toBe('Segmentation fault');
  });
});

describe('withoutFramesIn', () => {
  it("drops the frames located in flakeflow's own expression and keeps the user's", () => {
    // As Nix 2.26.3 reported a host of a generated fleet that names an undefined variable.
    const message = [
      "error: undefined variable 'undefinedName'",
      'at /nix/store/x-source/hosts/srv-002/default.nix:9:25:',
      '     9|   networking.hostName = undefinedName;',
      '      |                         ^',
      '',
      "       … while evaluating attribute 'hosts'",
      '         at /opt/flakeflow/nix/fleet.nix:464:3:',
      '          464|   value = computed.hosts;',
      '',
      "       … while evaluating the option `networking.hostName'",
      '         at /nix/store/x-source/modules/base.nix:3:5:',
      '',
      '       … while evaluating list element at index 5',
      '         at /opt/flakeflow/nix/fleet.nix:464:3:',
      '          464|   value = computed.hosts;',
    ].join('\n');
    expect(withoutFramesIn(message, '/opt/flakeflow/nix/fleet.nix').split('\n')).toEqual([
      "error: undefined variable 'undefinedName'",
      'at /nix/store/x-source/hosts/srv-002/default.nix:9:25:',
      '     9|   networking.hostName = undefinedName;',
      '      |                         ^',
      '',
      "       … while evaluating the option `networking.hostName'",
      '         at /nix/store/x-source/modules/base.nix:3:5:',
    ]);
    expect(withoutFramesIn(message, '/elsewhere/fleet.nix')).toBe(message);
  });
});

describe('installable', () => {
  it('quotes attribute names Nix would split', () => {
    expect(installable('/fleet', ['homeConfigurations', 'alice@workstation', 'activationPackage'])).toBe(
      '/fleet#homeConfigurations."alice@workstation".activationPackage',
    );
    expect(installable('.', ['checks', 'x86_64-linux', 'deploy-waves'])).toBe(
      '.#checks.x86_64-linux.deploy-waves',
    );
  });
});

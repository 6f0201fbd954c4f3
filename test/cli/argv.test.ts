import { describe, expect, it } from 'vitest';
import { actions } from '../../src/actions/index.js';
import { type OptionSpec, parseCommandLine } from '../../src/cli/argv.js';
import { ACTION_COMMANDS } from '../../src/cli/commands.js';
import { githubRepositoryOf } from '../../src/cli/context.js';
import { isBooleanInput, optionSpecs } from '../../src/cli/help.js';
import { lacksToken, localTokenReader } from '../../src/cli/local-action.js';
import { GITHUB_TOKEN_DEFAULT, inputNames } from '../../src/core/inputs.js';
import { closeMatches } from '../../src/core/suggest.js';

const SPECS: OptionSpec[] = [
  { name: 'targets', boolean: false },
  { name: 'tags', boolean: false },
  { name: 'dry-activate', boolean: true },
  { name: 'ssh-opts', boolean: false },
];

const parse = (argv: string[]) => parseCommandLine(argv, 'deploy', SPECS);

describe('parseCommandLine', () => {
  it.each([
    [['--targets', 'a,b'], { targets: 'a,b' }],
    [['--targets=@edge'], { targets: '@edge' }],
    [['--dry-activate'], { 'dry-activate': 'true' }],
    [['--no-dry-activate'], { 'dry-activate': 'false' }],
    [['--dry-activate=false'], { 'dry-activate': 'false' }],
    [['--dry-activate', 'false'], { 'dry-activate': 'false' }],
    [['--ssh-opts', '-p 2222'], { 'ssh-opts': '-p 2222' }],
    [['--ssh-opts', '--', '--targets', 'x'], { 'ssh-opts': '--', targets: 'x' }],
  ])('%j gives %j', (argv, expected) => {
    expect(Object.fromEntries(parse(argv).values)).toEqual(expected);
  });

  it('keeps positionals, and everything after a lone -- as positional', () => {
    expect(parse(['dir', '--dry-activate', '--', '--targets']).positionals).toEqual(['dir', '--targets']);
  });

  it.each([
    [['--tagets', 'x'], 'unknown option --tagets for flakeflow deploy; did you mean --targets, --tags?'],
    [['--zzz'], 'unknown option --zzz for flakeflow deploy; run flakeflow deploy --help for its options'],
    [['--targets'], 'option --targets needs a value'],
    [['-t', 'x'], 'unknown option -t for flakeflow deploy; options are spelt --name'],
    [
      ['--targets', 'a', '--targets', 'b'],
      'option --targets is given twice; give a list as one comma-separated value',
    ],
  ])('refuses %j in one line', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });
});

describe('closeMatches', () => {
  const names = ['ssh-private-key', 'ssh-user', 'ssh-opts', 'known-hosts', 'strict-host-key-checking'];
  it('finds typos and shared words', () => {
    expect(closeMatches('ssh-key', names)).toContain('ssh-private-key');
    expect(closeMatches('known-host', names)).toEqual(['known-hosts', 'strict-host-key-checking']);
    expect(closeMatches('xyzzy', names)).toEqual([]);
  });
});

describe('options of the action commands', () => {
  it('are exactly the inputs of each action, plus the CLI flags', () => {
    for (const command of ACTION_COMMANDS) {
      const names = optionSpecs(command).map((spec) => spec.name);
      expect(names.slice(0, inputNames(actions[command.name].inputs).length)).toEqual(
        inputNames(actions[command.name].inputs),
      );
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('are booleans exactly where the schema parses true and false only', () => {
    const deploy = actions.deploy.inputs;
    expect(isBooleanInput(deploy, 'dry-activate')).toBe(true);
    expect(isBooleanInput(deploy, 'magic-rollback')).toBe(true);
    expect(isBooleanInput(deploy, 'targets')).toBe(false);
    expect(isBooleanInput(deploy, 'parallel')).toBe(false);
    expect(isBooleanInput(actions.gate.inputs, 'checks')).toBe(false);
  });
});

describe('the token', () => {
  const given = (value: string | undefined) => () => value;
  it.each([
    [undefined, { GITHUB_TOKEN: 'ghs_env' }, 'ghs_env'],
    ['', { GH_TOKEN: 'gho_cli' }, 'gho_cli'],
    [GITHUB_TOKEN_DEFAULT, { GITHUB_TOKEN: 'ghs_env' }, 'ghs_env'],
    ['ghp_given', { GITHUB_TOKEN: 'ghs_env' }, 'ghp_given'],
    [GITHUB_TOKEN_DEFAULT, {}, undefined],
  ])('%j with %j reads as %j', (value, env, expected) => {
    expect(localTokenReader(given(value), env)('token')).toBe(expected);
  });

  it('is missing while it is still the runner default', () => {
    expect(lacksToken({ token: GITHUB_TOKEN_DEFAULT })).toBe(true);
    expect(lacksToken({ token: 'ghs_x' })).toBe(false);
  });
});

describe('githubRepositoryOf', () => {
  it.each([
    ['https://github.com/alice/homelab.git', 'alice/homelab'],
    ['https://github.com/alice/homelab', 'alice/homelab'],
    ['git@github.com:alice/homelab.git', 'alice/homelab'],
    ['ssh://git@github.com/alice/homelab', 'alice/homelab'],
    ['https://gitlab.com/alice/homelab.git', undefined],
    ['/srv/git/homelab', undefined],
  ])('%s → %s', (url, expected) => {
    expect(githubRepositoryOf(url)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { type ActionName, actions } from '../../src/actions/index.js';
import { UserError } from '../../src/core/errors.js';
import { parseInputs } from '../../src/core/inputs.js';
import { PUBLISHED_KNOWN_HOSTS } from '../../src/nix/access-inputs.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: the default as action.yml writes it
const TOKEN_DEFAULT = '${{ github.token }}';

function given(values: Record<string, string>) {
  return (input: string): string | undefined => values[input];
}

function parse(name: ActionName, values: Record<string, string>) {
  return parseInputs(actions[name].inputs, given(values));
}

/** Each action with nothing given but what it cannot do without, and the settings that yields. */
const defaults: [ActionName, Record<string, string>, Record<string, unknown>][] = [
  [
    'lock-update',
    {},
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      'inputs-use-token': false,
      path: '.',
      token: TOKEN_DEFAULT,
      branch: 'flakeflow/lock-update',
      'commit-message': 'flake.lock: update',
      'auto-merge': true,
      'merge-method': 'squash',
      'commit-mode': 'api',
      verify: 'eval',
      'on-verify-failure': 'fail',
      'stale-days': 30,
      'dry-run': false,
    },
  ],
  [
    'gate',
    {},
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      path: '.',
      checks: ['format', 'deadnix', 'statix'],
      formatter: 'auto',
      files: 'auto',
      tools: 'path-or-nix',
      'fail-on': 'warning',
      annotations: true,
      'check-run': false,
      token: TOKEN_DEFAULT,
      suggestions: false,
      'allow-untrusted-on-self-hosted': false,
    },
  ],
  [
    'hosts',
    {},
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      path: '.',
      kinds: ['nixos', 'darwin', 'home'],
      unmapped: 'eval-only',
      'max-jobs': 256,
      'allow-untrusted-on-self-hosted': false,
    },
  ],
  [
    'build',
    {},
    { path: '.', 'allow-untrusted-on-self-hosted': false, 'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS },
  ],
  [
    'report',
    {},
    {
      results: 'flakeflow-results',
      comment: true,
      token: TOKEN_DEFAULT,
      'fail-on': 'failure',
      'allow-untrusted-on-self-hosted': false,
    },
  ],
  [
    'deploy',
    {},
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      path: '.',
      engine: 'auto',
      force: false,
      targets: ['all'],
      strategy: 'canary',
      parallel: 4,
      'on-failure': 'halt',
      'dry-activate': false,
      boot: false,
      'skip-checks': false,
      'magic-rollback': true,
      'auto-rollback': true,
      'remote-build': false,
      'substitute-on-nodes': true,
      'strict-host-key-checking': true,
      'deploy-command': ['deploy'],
      'allow-pull-request': false,
      'github-deployments': false,
      'environment-prefix': 'nixos/',
      token: TOKEN_DEFAULT,
    },
  ],
  [
    'backup-verify',
    { config: 'backups.yml' },
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      config: 'backups.yml',
      path: '.',
      checks: ['open', 'freshness', 'retention', 'integrity', 'restore'],
      concurrency: 2,
      'restic-command': ['restic'],
      'alert-issue': false,
      token: TOKEN_DEFAULT,
    },
  ],
  [
    'status',
    {},
    {
      'inputs-known-hosts': PUBLISHED_KNOWN_HOSTS,
      path: '.',
      engine: 'auto',
      targets: ['all'],
      'strict-host-key-checking': true,
      'fail-on': ['unevaluable', 'drifted', 'unreachable'],
      'alert-issue': false,
      token: TOKEN_DEFAULT,
    },
  ],
];

describe('input schemas', () => {
  it('cover every action', () => {
    expect(defaults.map(([name]) => name).sort()).toEqual(Object.keys(actions).sort());
  });

  it.each(defaults)('%s parses its defaults into typed settings', (name, given, settings) => {
    const parsed: Record<string, unknown> = parse(name, given);
    expect(parsed).toEqual(settings);
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(actions[name].inputs.shape).sort());
  });
});

describe('structured inputs', () => {
  it('deploy reads tags, waves and health checks', () => {
    const settings = parse('deploy', {
      targets: 'web-1, @db',
      strategy: 'waves',
      tags: 'db: [db-1, db-2]',
      waves: '[web-1, "@db", [web-2, web-3]]',
      'health-checks':
        '{defaults: {ssh: "systemctl is-system-running --wait", timeout: 2m}, nodes: {web-1: {http: "https://web-1.example.org/health", retries: 3}}}',
      'ssh-opts': '-p 2222  -o ConnectTimeout=10',
      'deploy-command': 'nix run .#deploy-rs --',
    });
    expect(settings).toMatchObject({
      targets: ['web-1', '@db'],
      tags: { db: ['db-1', 'db-2'] },
      waves: [['web-1'], ['@db'], ['web-2', 'web-3']],
      'health-checks': {
        defaults: { ssh: 'systemctl is-system-running --wait', timeout: 120_000 },
        nodes: { 'web-1': { http: ['https://web-1.example.org/health'], retries: 3 } },
      },
      'ssh-opts': ['-p', '2222', '-o', 'ConnectTimeout=10'],
      'deploy-command': ['nix', 'run', '.#deploy-rs', '--'],
    });
  });

  it('backup-verify reads repositories with durations, policy, check and restore', () => {
    const settings = parseInputs(
      actions['backup-verify'].inputs,
      given({
        repositories: [
          '- name: nas',
          '  repository: sftp:backup@nas:/srv/restic',
          '  password-env: NAS_PASSWORD',
          '  env: [AWS_ACCESS_KEY_ID]',
          '  max-age: 26h',
          '  groups: [{host: web-1, paths: [/var/lib], max-age: 2d}]',
          '  policy: {daily: 7, weekly: 4}',
          '  check: 2/16',
          '  restore: {sample: 5, canary: /var/lib/canary, canary-max-age: 1d}',
          '- name: offsite',
          '  repository: b2:fleet-backups',
          '  password-file: /run/secrets/restic',
          '  check: 2.5%',
        ].join('\n'),
      }),
    );
    expect(settings.repositories).toEqual([
      {
        name: 'nas',
        repository: 'sftp:backup@nas:/srv/restic',
        'password-env': 'NAS_PASSWORD',
        env: ['AWS_ACCESS_KEY_ID'],
        'max-age': 26 * 3_600_000,
        groups: [{ host: 'web-1', paths: ['/var/lib'], 'max-age': 2 * 86_400_000 }],
        policy: { daily: 7, weekly: 4 },
        check: { mode: 'subset', part: 2, parts: 16 },
        restore: { sample: 5, canary: '/var/lib/canary', 'canary-max-age': 86_400_000 },
      },
      {
        name: 'offsite',
        repository: 'b2:fleet-backups',
        'password-file': '/run/secrets/restic',
        check: { mode: 'percent', percent: 2.5 },
      },
    ]);
  });

  it('lock-update reads groups', () => {
    const settings = parseInputs(
      actions['lock-update'].inputs,
      given({ groups: 'nixpkgs: [nixpkgs, nixpkgs-*]\ntools: [treefmt-nix]' }),
    );
    expect(settings.groups).toEqual({
      nixpkgs: ['nixpkgs', 'nixpkgs-*'],
      tools: ['treefmt-nix'],
    });
  });
});

const REPOSITORIES = "Input 'repositories' must be a YAML list of restic repositories";
const HEALTH_CHECKS = "Input 'health-checks' must be a YAML map of health checks (defaults, nodes)";

/** A wrong value per line, and the one line the user reads. */
const mistakes: [ActionName, Record<string, string>, string][] = [
  [
    'lock-update',
    { 'merge-method': 'fast-forward' },
    "Input 'merge-method' must be one of merge, squash, rebase, got 'fast-forward'",
  ],
  ['lock-update', { verify: 'test' }, "Input 'verify' must be one of none, eval, build, got 'test'"],
  [
    'lock-update',
    { 'stale-days': '-1' },
    "Input 'stale-days' must be a whole number of at least 0, got '-1'",
  ],
  ['lock-update', { 'auto-merge': 'yes' }, "Input 'auto-merge' must be true or false, got 'yes'"],
  [
    'lock-update',
    { groups: '{"my group": [nixpkgs]}' },
    "Input 'groups' must be a YAML map from group name to a list of flake input names or globs (group name 'my group' may use only letters, digits, ., _ and -), got '{\"my group\": [nixpkgs]}'",
  ],
  [
    'lock-update',
    { groups: 'nixpkgs: []' },
    "Input 'groups' must be a YAML map from group name to a list of flake input names or globs (lists no flake inputs at nixpkgs), got 'nixpkgs: []'",
  ],
  [
    'gate',
    { checks: 'format,nixpkgs-fmt' },
    "Input 'checks' must be a comma- or newline-separated list of format, deadnix, statix, flake-check, got 'format,nixpkgs-fmt'",
  ],
  [
    'gate',
    { formatter: 'nixpkgs-fmt' },
    "Input 'formatter' must be one of auto, nix-fmt, treefmt, alejandra, nixfmt, none, got 'nixpkgs-fmt'",
  ],
  ['gate', { files: 'staged' }, "Input 'files' must be one of auto, all, changed, got 'staged'"],
  ['gate', { 'fail-on': 'warn' }, "Input 'fail-on' must be one of error, warning, never, got 'warn'"],
  ['hosts', { unmapped: 'ignore' }, "Input 'unmapped' must be one of eval-only, skip, fail, got 'ignore'"],
  ['hosts', { 'max-jobs': '300' }, "Input 'max-jobs' must be a whole number from 1 to 256, got '300'"],
  ['report', { comment: 'sticky' }, "Input 'comment' must be true or false, got 'sticky'"],
  ['report', { 'fail-on': 'warning' }, "Input 'fail-on' must be one of failure, never, got 'warning'"],
  [
    'deploy',
    { strategy: 'fast' },
    "Input 'strategy' must be one of canary, waves, all-at-once, one-by-one, got 'fast'",
  ],
  ['deploy', { parallel: '0' }, "Input 'parallel' must be a whole number of at least 1, got '0'"],
  ['deploy', { engine: 'colmena' }, "Input 'engine' must be one of auto, deploy-rs, switch, got 'colmena'"],
  [
    'deploy',
    { nodes: '{web: {adress: 10.0.0.5}}' },
    "Input 'nodes' must be a YAML map from node name to {address, ssh-user, tags, wave, profile, current-system, booted-system} (Unrecognized key: \"adress\" at web), got '{web: {adress: 10.0.0.5}}'",
  ],
  [
    'deploy',
    { engine: 'deploy-rs', nodes: '{web: {}}' },
    "Input 'nodes' is only read by the switch engine, but 'engine' is deploy-rs",
  ],
  [
    'status',
    { engine: 'deploy-rs', nodes: '{web: {}}' },
    "Input 'nodes' is only read by the switch engine, but 'engine' is deploy-rs",
  ],
  [
    'status',
    { 'fail-on': 'drifted,stale' },
    "Input 'fail-on' must be a comma- or newline-separated list of unevaluable, unreachable, drifted, behind, needs-reboot, current, none, got 'drifted,stale'",
  ],
  [
    'deploy',
    { 'on-failure': 'rollback' },
    "Input 'on-failure' must be one of halt, continue, got 'rollback'",
  ],
  [
    'deploy',
    { 'confirm-timeout': '30s' },
    "Input 'confirm-timeout' must be a whole number of at least 1, got '30s'",
  ],
  [
    'deploy',
    { 'dry-activate': 'true', boot: 'true' },
    "Input 'boot' cannot be true together with 'dry-activate': dry-activate only shows what would change, boot installs the new generation for the next reboot; set one of them",
  ],
  [
    'deploy',
    { waves: '[web-1]' },
    "Input 'waves' is only used with 'strategy' waves, but 'strategy' is canary",
  ],
  [
    'deploy',
    { tags: '{"@web": [web-1]}' },
    "Input 'tags' must be a YAML map from tag to a list of node names (tag '@web' must be named without @ here (write web, and @web in targets and waves)), got '{\"@web\": [web-1]}'",
  ],
  [
    'deploy',
    { 'health-checks': 'nodes: {web-1: {timeout: 2 minutes}}' },
    `${HEALTH_CHECKS} (must be a duration like 120s, got '2 minutes' at nodes.web-1.timeout), got 'nodes: {web-1: {timeout: 2 minutes}}'`,
  ],
  [
    'deploy',
    { 'health-checks': 'defaults: {htp: [https://x]}' },
    `${HEALTH_CHECKS} (Unrecognized key: "htp" at defaults), got 'defaults: {htp: [https://x]}'`,
  ],
  [
    'backup-verify',
    {},
    "Input 'repositories' is required unless 'config', 'services-json' or 'flake-host' names the repositories to verify",
  ],
  [
    'backup-verify',
    { config: 'b.yml', repositories: '[{name: nas, repository: /srv, password-env: P}]' },
    "Input 'repositories' cannot be combined with 'config': give the repositories in one place",
  ],
  [
    'backup-verify',
    { 'services-json': 'restic.json', 'flake-host': 'nas' },
    "Input 'flake-host' cannot be combined with 'services-json': read the backup jobs from one place",
  ],
  [
    'backup-verify',
    { config: 'b.yml', checks: 'open,prune' },
    "Input 'checks' must be a comma- or newline-separated list of open, freshness, retention, integrity, restore, got 'open,prune'",
  ],
  [
    'backup-verify',
    { config: 'b.yml', concurrency: '0' },
    "Input 'concurrency' must be a whole number of at least 1, got '0'",
  ],
  [
    'backup-verify',
    { repositories: '[{name: nas, repository: /srv}]' },
    `${REPOSITORIES} (repository 'nas' needs exactly one of password-file, password-env, password-command at 0), got '[{name: nas, repository: /srv}]'`,
  ],
  [
    'backup-verify',
    { repositories: '[{name: nas, repository: /srv, password-env: P, check: 3/2}]' },
    `${REPOSITORIES} (must be rotate, none, structure, all, 'n/t' (t up to 256) or 'x%', got '3/2' at 0.check), got '[{name: nas, repository: /srv, password-env: P, check: 3/2}]'`,
  ],
  [
    'backup-verify',
    { repositories: '[{name: nas, repository: /srv, password-env: P, max-age: soon}]' },
    `${REPOSITORIES} (must be a duration like 26h, got 'soon' at 0.max-age), got '[{name: nas, repository: /srv, password-env: P, max-age: ...'`,
  ],
  [
    'backup-verify',
    {
      repositories:
        '[{name: a, repository: /a, password-env: P}, {name: a, repository: /b, password-env: P}]',
    },
    `${REPOSITORIES} (repository name 'a' is used twice), got '[{name: a, repository: /a, password-env: P}, {name: a, re...'`,
  ],
];

describe('input mistakes', () => {
  it.each(mistakes)('%s %j', (name, given, message) => {
    expect(() => parse(name, given)).toThrow(new UserError(message));
  });

  it('masks the keys and tokens as soon as they are read', () => {
    const masked: string[] = [];
    const given: Record<string, string> = { 'ssh-private-key': 'ssh-key', token: 'ghs_token', path: 'infra' };
    parseInputs(
      actions.deploy.inputs,
      (input) => given[input],
      (value) => masked.push(value),
    );
    parseInputs(
      actions.build.inputs,
      (input) => ({ 'signing-key': 'cache-1:key' })[input],
      (value) => masked.push(value),
    );
    expect(masked.sort()).toEqual(['cache-1:key', 'ghs_token', 'ssh-key']);
  });
});

/**
 * Bad input, action by action: what a user can get wrong, and the one line each action answers with.
 *
 * Every row runs the BUILT bundle as the runner does (test/harness/run-action.ts), in its own copy of
 * the example fleet, with a fake GitHub, a fake deploy-rs on PATH and a token of its own. Each must
 * end with exit code 1 and exactly one `::error::` line, which names the input and what it expected;
 * no stack trace; and nothing modified: no write request to GitHub, no deploy-rs started, the
 * checkout (status, refs, stash) as it was. The CLI rows hold the terminal face to the same promise:
 * one `error:` line on stderr.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines as cliErrorLines, runCli } from '../cli/support.js';
import { fakeDeploy } from '../deploy/support.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { errorLines, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS, pathFor } from '../support/versions.js';
import {
  ACTION_BUNDLES,
  caseToken,
  FleetTemplate,
  requireBundles,
  stackLines,
  writeRequests,
} from './support.js';

interface ActionRow {
  /** The action under actions/, or `umbrella` for the root action.yml. */
  action: (typeof ACTION_BUNDLES)[number] | 'status' | 'umbrella';
  inputs: Record<string, string>;
  /** What is wrong, in words. */
  wrong: string;
  /** The single `::error::` line; a RegExp where it holds the checkout's temporary path. */
  error: string | RegExp;
  /** Files written into the checkout before the run (and before its state is recorded). */
  files?: Record<string, string>;
  event?: string;
}

interface CliRow {
  cli: string[];
  wrong: string;
  /** The single `error:` line on stderr, without its `error: ` prefix. */
  error: string | RegExp;
}

/** A repository with every key the backup checks read, so only the row's own mistake is wrong. */
const NAS = 'name: nas\nrepository: /srv/restic/nas\npassword-env: NAS_PASSWORD\nmax-age: 26h';
const NAS_LIST = `- ${NAS.replace(/\n/g, '\n  ')}`;
/** The checkout's path in a message. */
const CHECKOUT = '/[^)]+/homelab';

const inside = (input: string, value: string) =>
  new RegExp(
    `^Input '${input}' must be an absolute path or a path inside the workspace \\(${CHECKOUT}\\), got '${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'$`,
  );

const ACTION_ROWS: ActionRow[] = [
  // lock-update: scheduled flake.lock updates
  {
    action: 'lock-update',
    inputs: { 'merge-method': 'fast-forward' },
    wrong: 'a merge method GitHub does not have',
    error: "Input 'merge-method' must be one of merge, squash, rebase, got 'fast-forward'",
  },
  {
    action: 'lock-update',
    inputs: { 'auto-merge': 'yes' },
    wrong: "YAML 1.1's `yes`, which the runner passes on as text",
    error: "Input 'auto-merge' must be true or false, got 'yes'",
  },
  {
    action: 'lock-update',
    inputs: { 'stale-days': 'a month' },
    wrong: 'words where a number of days is expected',
    error: "Input 'stale-days' must be a whole number of at least 0, got 'a month'",
  },
  {
    action: 'lock-update',
    inputs: { 'stale-days': '-3' },
    wrong: 'a negative number of days',
    error: "Input 'stale-days' must be a whole number of at least 0, got '-3'",
  },
  {
    action: 'lock-update',
    inputs: { groups: 'nixpkgs: [nixpkgs' },
    wrong: 'YAML that does not parse (an unclosed list)',
    error:
      /^Input 'groups' must be a YAML map from group name to a list of flake input names or globs \(YAML or JSON; it does not parse: .*\), got 'nixpkgs: \[nixpkgs'$/,
  },
  {
    action: 'lock-update',
    inputs: { groups: '- nixpkgs\n- home-manager' },
    wrong: 'a YAML list where a map from group name to inputs is expected',
    error:
      "Input 'groups' must be a YAML map from group name to a list of flake input names or globs (Invalid input: expected record, received array), got '- nixpkgs\\n- home-manager'",
  },
  {
    action: 'lock-update',
    inputs: { inputs: 'nixpkgs-unstable' },
    wrong: 'an input the flake does not have',
    error:
      "Input 'inputs' names 'nixpkgs-unstable', which is not an input of this flake (its inputs: dotfiles, secrets)",
  },
  {
    action: 'lock-update',
    inputs: { 'pr-labels': ' , ' },
    wrong: 'a list with nothing in it',
    error: "Input 'pr-labels' must be a non-empty list of label names, got ' , '",
  },
  {
    action: 'lock-update',
    inputs: { verify: 'full' },
    wrong: 'a verification level that does not exist',
    error: "Input 'verify' must be one of none, eval, build, got 'full'",
  },
  {
    action: 'lock-update',
    inputs: { path: '../inputs/secrets' },
    wrong: 'a flake outside the workspace',
    error: inside('path', '../inputs/secrets'),
  },
  {
    action: 'lock-update',
    inputs: { path: 'modules' },
    wrong: 'a directory without a flake',
    error:
      "Input 'path' is 'modules', which has no flake.lock: run `nix flake lock` there and commit the lock file first",
  },

  // gate: formatting, deadnix and statix on pull requests
  {
    action: 'gate',
    inputs: { checks: 'format,lint' },
    wrong: 'a check that does not exist',
    error:
      "Input 'checks' must be a comma- or newline-separated list of format, deadnix, statix, flake-check, got 'format,lint'",
  },
  {
    action: 'gate',
    inputs: { checks: ',' },
    wrong: 'no check at all',
    error: "Input 'checks' must be a non-empty list of format, deadnix, statix, flake-check, got ','",
  },
  {
    action: 'gate',
    inputs: { formatter: 'prettier' },
    wrong: 'a formatter that does not format Nix',
    error: "Input 'formatter' must be one of auto, nix-fmt, treefmt, alejandra, nixfmt, none, got 'prettier'",
  },
  {
    action: 'gate',
    inputs: { files: 'some' },
    wrong: 'an unknown file scope',
    error: "Input 'files' must be one of auto, all, changed, got 'some'",
  },
  {
    action: 'gate',
    inputs: { tools: 'apt' },
    wrong: 'a tool source flakeflow cannot use',
    error: "Input 'tools' must be one of path-or-nix, path, nix, got 'apt'",
  },
  {
    action: 'gate',
    inputs: { 'fail-on': 'info' },
    wrong: 'a level below the lowest one',
    error: "Input 'fail-on' must be one of error, warning, never, got 'info'",
  },
  {
    action: 'gate',
    inputs: { annotations: 'on' },
    wrong: "YAML 1.1's `on` for true",
    error: "Input 'annotations' must be true or false, got 'on'",
  },
  {
    action: 'gate',
    inputs: { path: 'hosts/../../..' },
    wrong: 'a relative path that climbs out of the workspace',
    error: inside('path', 'hosts/../../..'),
  },
  {
    action: 'gate',
    inputs: { tools: 'path' },
    wrong: 'deadnix and statix missing from PATH while only PATH may provide them',
    error:
      'flakeflow gate failed: deadnix is not on PATH (tools: path): install it in the job, or use tools: path-or-nix; statix is not on PATH (tools: path): install it in the job, or use tools: path-or-nix',
  },
  {
    action: 'gate',
    inputs: { files: 'changed', 'base-ref': 'no-such-branch' },
    wrong: 'a base branch the checkout does not have',
    error:
      "Input 'base-ref' names no-such-branch, which is not in the checkout and could not be fetched from origin: check out with fetch-depth: 0",
  },

  // hosts: the fleet as a build matrix
  {
    action: 'hosts',
    inputs: { kinds: 'nixos,windows' },
    wrong: 'a kind of host Nix does not build',
    error:
      "Input 'kinds' must be a comma- or newline-separated list of nixos, darwin, home, checks, got 'nixos,windows'",
  },
  {
    action: 'hosts',
    inputs: { runners: '{x86_64-linux: [ubuntu' },
    wrong: 'YAML that does not parse (an unclosed flow map)',
    error:
      /^Input 'runners' must be a YAML map from Nix system to a runner label or list of labels \(YAML or JSON; it does not parse: .*\), got '\{x86_64-linux: \[ubuntu'$/,
  },
  {
    action: 'hosts',
    inputs: { runners: '{"x86_64-linux": 5}' },
    wrong: 'JSON with a number where runner labels are expected',
    error:
      "Input 'runners' must be a YAML map from Nix system to a runner label or list of labels (Invalid input at x86_64-linux), got '{\"x86_64-linux\": 5}'",
  },
  {
    action: 'hosts',
    inputs: { unmapped: 'ignore' },
    wrong: 'an unknown policy for systems without a runner',
    error: "Input 'unmapped' must be one of eval-only, skip, fail, got 'ignore'",
  },
  {
    action: 'hosts',
    inputs: { 'max-jobs': '300' },
    wrong: "more matrix jobs than GitHub's 256",
    error: "Input 'max-jobs' must be a whole number from 1 to 256, got '300'",
  },
  {
    action: 'hosts',
    inputs: { 'changed-since': 'deadbeef' },
    wrong: 'a revision the checkout does not have',
    error:
      "Input 'changed-since' must name a commit of this checkout, got 'deadbeef' (fetch it first, e.g. actions/checkout with fetch-depth: 0)",
  },
  {
    action: 'hosts',
    inputs: { path: '..' },
    wrong: 'the parent of the workspace',
    error: inside('path', '..'),
  },
  {
    action: 'hosts',
    inputs: { path: 'modules' },
    wrong: 'a directory without a flake',
    error: new RegExp(
      `^Input 'path' must be a directory holding a flake.nix, got 'modules' \\(${CHECKOUT}/modules\\)$`,
    ),
  },

  // build: one host of the matrix
  {
    action: 'build',
    inputs: {},
    wrong: 'nothing to build',
    error: "Input 'host' must name what to build (or give 'attr' or 'drv-path'), got nothing",
  },
  {
    action: 'build',
    inputs: { 'drv-path': 'not-a-store-path' },
    wrong: 'a derivation that is not a store path',
    error: "Input 'drv-path' must be store paths of derivations (/nix/store/….drv), got 'not-a-store-path'",
  },
  {
    action: 'build',
    inputs: { host: 'media gateway', attr: 'nixosConfigurations.media.config.system.build.toplevel' },
    wrong: 'two hosts of a packed entry, but one attribute',
    error: "Input 'attr' must list 2 values like the other inputs, got 1",
  },
  {
    action: 'build',
    inputs: { host: 'media', 'compare-to': 'v0.0.0-nope' },
    wrong: 'a revision to compare with that the checkout does not have',
    error:
      "Input 'compare-to' must name a commit of this checkout, got 'v0.0.0-nope' (fetch it first, e.g. actions/checkout with fetch-depth: 0)",
  },
  {
    action: 'build',
    inputs: { host: 'media', path: '../inputs/dotfiles' },
    wrong: 'a flake outside the workspace',
    error: inside('path', '../inputs/dotfiles'),
  },

  // report: the one sticky comment and required check
  {
    action: 'report',
    inputs: { hosts: '[{"host": ' },
    wrong: 'JSON cut short',
    error: "Input 'hosts' must be the hosts action's `hosts` output (a JSON list), got text that is not JSON",
  },
  {
    action: 'report',
    inputs: { hosts: '{"media": "ok"}' },
    wrong: 'a JSON object where the list of hosts is expected',
    error:
      "Input 'hosts' must be the hosts action's `hosts` output (a JSON list of hosts), got Invalid input: expected array, received object",
  },
  {
    action: 'report',
    inputs: { 'fail-on': 'always' },
    wrong: 'an unknown failure level',
    error: "Input 'fail-on' must be one of failure, never, got 'always'",
  },
  {
    action: 'report',
    inputs: { comment: 'maybe' },
    wrong: 'neither true nor false',
    error: "Input 'comment' must be true or false, got 'maybe'",
  },
  {
    action: 'report',
    inputs: { results: '../../..' },
    wrong: 'build results looked for outside the workspace',
    error: inside('results', '../../..'),
  },

  // deploy: deploy-rs rollouts
  {
    action: 'deploy',
    inputs: { 'dry-activate': 'true', boot: 'true' },
    wrong: 'two activation modes that exclude each other',
    error:
      "Input 'boot' cannot be true together with 'dry-activate': dry-activate only shows what would change, boot installs the new generation for the next reboot; set one of them",
  },
  {
    action: 'deploy',
    inputs: { strategy: 'blue-green' },
    wrong: 'a strategy flakeflow does not have',
    error: "Input 'strategy' must be one of canary, waves, all-at-once, one-by-one, got 'blue-green'",
  },
  {
    action: 'deploy',
    inputs: { parallel: 'four' },
    wrong: 'a number in words',
    error: "Input 'parallel' must be a whole number of at least 1, got 'four'",
  },
  {
    action: 'deploy',
    inputs: { 'activation-timeout': '90s' },
    wrong: "a duration where deploy-rs's whole seconds are expected",
    error: "Input 'activation-timeout' must be a whole number of at least 1, got '90s'",
  },
  {
    action: 'deploy',
    inputs: { targets: 'toaster', 'strict-host-key-checking': 'false' },
    wrong: 'a node deploy.nodes does not have',
    error: "Input 'targets' names unknown node 'toaster'; known nodes: gateway, homeserver, media, pi",
  },
  {
    action: 'deploy',
    inputs: { targets: '@kitchen', 'strict-host-key-checking': 'false' },
    wrong: 'a tag no node carries',
    error:
      "Input 'targets' names unknown tag '@kitchen'; known tags: @arm, @canary, @edge, @network, @servers, @storage",
  },
  {
    action: 'deploy',
    inputs: { targets: ',' },
    wrong: 'an empty list of targets',
    error: "Input 'targets' must be a non-empty list of node names, @tags or all, got ','",
  },
  {
    action: 'deploy',
    inputs: { waves: '- [media]\n- [homeserver]' },
    wrong: 'waves given, but the strategy (canary) does not use them',
    error: "Input 'waves' is only used with 'strategy' waves, but 'strategy' is canary",
  },
  {
    action: 'deploy',
    inputs: { tags: 'servers: [media' },
    wrong: 'YAML that does not parse',
    error:
      /^Input 'tags' must be a YAML map from tag to a list of node names \(YAML or JSON; it does not parse: .*\), got 'servers: \[media'$/,
  },
  {
    action: 'deploy',
    inputs: { 'health-checks': "nodes: {toaster: {ssh: 'true'}}", 'strict-host-key-checking': 'false' },
    wrong: 'a health check for a node that does not exist',
    error:
      "Input 'health-checks' configures unknown node 'toaster'; known nodes: gateway, homeserver, media, pi",
  },
  {
    action: 'deploy',
    inputs: { 'on-failure': 'retry' },
    wrong: 'an unknown failure policy',
    error: "Input 'on-failure' must be one of halt, continue, got 'retry'",
  },
  {
    action: 'deploy',
    inputs: { 'deploy-command': 'deploy-rs-missing', 'strict-host-key-checking': 'false' },
    wrong: 'deploy-rs not installed',
    error:
      "Input 'deploy-command' runs 'deploy-rs-missing', which is not on PATH: install deploy-rs on the runner, or run it from the flake's inputs, e.g. 'nix run .#deploy-rs --'",
  },
  {
    action: 'deploy',
    inputs: { path: '../inputs', 'strict-host-key-checking': 'false' },
    wrong: 'a flake outside the workspace',
    error: inside('path', '../inputs'),
  },
  {
    action: 'deploy',
    inputs: { path: 'modules', 'strict-host-key-checking': 'false' },
    wrong: 'a directory without a flake',
    error: new RegExp(
      `^Input 'path' must be a directory holding a flake.nix, got 'modules' \\(${CHECKOUT}/modules\\)$`,
    ),
  },

  // status: what every node runs
  {
    action: 'status',
    inputs: {},
    wrong: 'no pinned host keys and strict-host-key-checking left on',
    error:
      "Input 'known-hosts' is required to pin the nodes' host keys (the lines `ssh-keyscan <host>` prints); " +
      "set 'strict-host-key-checking: false' to accept unknown keys on first use instead",
  },
  {
    action: 'status',
    inputs: { 'fail-on': 'stale' },
    wrong: 'a state status does not know',
    error:
      "Input 'fail-on' must be a comma- or newline-separated list of unevaluable, unreachable, drifted, behind, needs-reboot, current, none, got 'stale'",
  },
  {
    action: 'status',
    inputs: { targets: 'toaster', 'strict-host-key-checking': 'false' },
    wrong: 'a node deploy.nodes does not have',
    error: "Input 'targets' names unknown node 'toaster'; known nodes: gateway, homeserver, media, pi",
  },

  // backup-verify: restic repositories on a schedule
  {
    action: 'backup-verify',
    inputs: {},
    wrong: 'no repository to verify',
    error:
      "Input 'repositories' is required unless 'config', 'services-json' or 'flake-host' names the repositories to verify",
  },
  {
    action: 'backup-verify',
    inputs: { config: '.github/backups.yml', repositories: NAS_LIST },
    wrong: 'repositories given in two places',
    error: "Input 'repositories' cannot be combined with 'config': give the repositories in one place",
  },
  {
    action: 'backup-verify',
    inputs: { repositories: '- name: nas\n  repository: [x' },
    wrong: 'YAML that does not parse',
    error:
      /^Input 'repositories' must be a YAML list of restic repositories \(YAML or JSON; it does not parse: .*\), got '- name: nas\\n {2}repository: \[x'$/,
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST.replace('26h', 'soon') },
    wrong: 'a maximum age that is not a duration',
    error:
      /^Input 'repositories' must be a YAML list of restic repositories \(must be a duration like 26h, got 'soon' at 0\.max-age\), got '.*'$/,
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST.replace('26h', '26') },
    wrong: 'a bare number of unknown unit as maximum age',
    error:
      /^Input 'repositories' must be a YAML list of restic repositories \(must be a duration like 26h, got '26' at 0\.max-age\), got '.*'$/,
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, checks: 'open,scrub' },
    wrong: 'a check restic verification does not have',
    error:
      "Input 'checks' must be a comma- or newline-separated list of open, freshness, retention, integrity, restore, got 'open,scrub'",
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, concurrency: '0' },
    wrong: 'no repository verified at a time',
    error: "Input 'concurrency' must be a whole number of at least 1, got '0'",
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, 'alert-issue': 'yes' },
    wrong: "YAML 1.1's `yes`",
    error: "Input 'alert-issue' must be true or false, got 'yes'",
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, 'restic-command': 'restic-missing' },
    wrong: 'restic not installed',
    error:
      "restic-command 'restic-missing' was not found on PATH: install restic (0.14 or later) before this step, or set restic-command, e.g. 'nix run nixpkgs#restic --'",
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, 'services-json': 'services.json' },
    files: { 'services.json': '{"immich": {"tags": ["immich"]' },
    wrong: 'a services.json that is not JSON',
    error: /^Input 'services-json' file services\.json is not JSON: .+$/,
  },

  {
    action: 'backup-verify',
    inputs: { 'services-json': '/etc/svc/flakeflow-missing/services.json' },
    wrong: 'an absolute services.json (read where the workflow says) that does not exist',
    error:
      "Input 'services-json' names /etc/svc/flakeflow-missing/services.json, which cannot be read: it does not exist",
  },
  {
    action: 'backup-verify',
    inputs: { config: '../../backups.yml' },
    wrong: 'a repositories file outside the workspace',
    error: inside('config', '../../backups.yml'),
  },
  {
    action: 'backup-verify',
    inputs: { repositories: NAS_LIST, 'flake-host': 'toaster' },
    wrong: 'a host the flake does not have',
    error: new RegExp(
      `^Input 'flake-host' 'toaster' could not be read from the flake at ${CHECKOUT}: nix eval failed: error: flake '.+' does not provide attribute .*'nixosConfigurations\\.toaster\\.config'$`,
    ),
  },

  // the umbrella action: one action.yml, `command` picks the action
  {
    action: 'umbrella',
    inputs: { command: 'rollout' },
    wrong: 'a command that does not exist',
    error:
      "Input 'command' must be one of lock-update, gate, hosts, build, report, deploy, backup-verify, status, got 'rollout'",
  },
  {
    action: 'umbrella',
    inputs: { command: 'build', hosts: 'media' },
    wrong: "the report's `hosts` given to build, which takes `host`",
    error: "Input 'hosts' is not an input of command 'build'; did you mean 'host'?",
  },
  {
    action: 'umbrella',
    inputs: { command: 'deploy', 'dry-actvate': 'true', 'strict-host-key-checking': 'false' },
    wrong: 'an input name with a typo, which would otherwise deploy for real',
    error: "Input 'dry-actvate' is not an input of command 'deploy'; did you mean 'dry-activate'?",
  },
];

const CLI_ROWS: CliRow[] = [
  {
    cli: ['deploy', '--dry-activate', '--boot'],
    wrong: 'two activation modes that exclude each other',
    error:
      "Input 'boot' cannot be true together with 'dry-activate': dry-activate only shows what would change, boot installs the new generation for the next reboot; set one of them",
  },
  {
    cli: ['hosts', '--max-jobz', '3'],
    wrong: 'an option name with a typo',
    // `eval-max-memory` (issue #16) shares the word `max`: suggested after the closest.
    error: 'unknown option --max-jobz for flakeflow hosts; did you mean --max-jobs, --eval-max-memory?',
  },
  {
    cli: ['rollout'],
    wrong: 'a command that does not exist',
    error: "unknown command 'rollout'; run flakeflow --help",
  },
  {
    cli: ['gate', '--formatter', 'prettier'],
    wrong: 'a formatter that does not format Nix',
    error: "Input 'formatter' must be one of auto, nix-fmt, treefmt, alejandra, nixfmt, none, got 'prettier'",
  },
  {
    cli: ['lock-update', '--stale-days', 'soon'],
    wrong: 'words where a number of days is expected',
    error: "Input 'stale-days' must be a whole number of at least 0, got 'soon'",
  },
  {
    cli: ['backup-verify'],
    wrong: 'no repository to verify',
    error:
      "Input 'repositories' is required unless 'config', 'services-json' or 'flake-host' names the repositories to verify",
  },
  {
    cli: ['build', '--path', 'modules', '--host', 'media'],
    wrong: 'a directory without a flake',
    error: new RegExp(
      `^Input 'path' must be a directory holding a flake.nix, got 'modules' \\(${CHECKOUT}/modules\\)$`,
    ),
  },
];

let dir: string;
let template: FleetTemplate;
let github: FakeGitHub;

beforeAll(async () => {
  requireBundles([...ACTION_BUNDLES, 'status', 'umbrella', 'cli']);
  dir = await makeTempDir('hardening-bad-input');
  template = await FleetTemplate.create(dir);
  github = await startFakeGitHub({ repositories: ['octo-org/homelab'] });
});
afterAll(async () => {
  await github?.close();
  await removeTempDir(dir);
});

function expectLine(line: string | undefined, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(line).toBe(expected);
  else expect(line).toMatch(expected);
}

// Every row runs on each Nix version, all side by side: each run gets its version's PATH.
describeEachVersion(
  NIX_VERSIONS,
  'bad input',
  (version) => {
    describe('bad input to the actions: one line, exit code 1, nothing modified', () => {
      it('has at least 40 rows, covering every action', () => {
        expect(ACTION_ROWS.length + CLI_ROWS.length).toBeGreaterThanOrEqual(40);
        for (const action of [...ACTION_BUNDLES, 'status', 'umbrella'])
          expect(ACTION_ROWS.some((row) => row.action === action)).toBe(true);
      });

      it.each(ACTION_ROWS.map((row, index) => ({ ...row, index })))(
        '$action: $wrong',
        async ({ action, inputs, files, event, error, index }) => {
          const checkout = await template.checkout();
          for (const [path, text] of Object.entries(files ?? {})) {
            await mkdir(dirname(join(checkout.workspace, path)), { recursive: true });
            await writeFile(join(checkout.workspace, path), text);
          }
          const before = await checkout.state();
          const deploy = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), {});
          const token = caseToken(index);
          const run = await runAction({
            action,
            inputs,
            workspace: checkout.workspace,
            githubToken: token,
            event: { name: event ?? 'workflow_dispatch' },
            env: {
              ...deploy.env,
              PATH: pathFor(version, deploy.env.PATH),
              GITHUB_API_URL: github.url,
              GITHUB_GRAPHQL_URL: github.graphqlUrl,
            },
          });

          const errors = errorLines(run);
          expect(errors, run.stdout + run.stderr).toHaveLength(1);
          expectLine(errors[0], error);
          expect(run.exitCode).toBe(1);
          expect(stackLines(run.stdout + run.stderr)).toEqual([]);
          expect(writeRequests(github, token)).toEqual([]);
          expect(await deploy.invocations()).toEqual([]);
          expect(await checkout.state()).toBe(before);
        },
      );
    });

    describe('bad input to the flakeflow CLI: one error line, exit code 1, nothing modified', () => {
      it.each(CLI_ROWS)('flakeflow $cli.0: $wrong', async ({ cli, error }) => {
        const checkout = await template.checkout();
        const before = await checkout.state();
        const deploy = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), {});
        const run = await runCli(cli, {
          cwd: checkout.workspace,
          env: {
            ...deploy.env,
            PATH: pathFor(version, deploy.env.PATH),
            GITHUB_TOKEN: undefined,
            GH_TOKEN: undefined,
          },
        });
        const errors = cliErrorLines(run).map((line) => line.replace(/^error: /, ''));
        expect(errors, run.stderr).toHaveLength(1);
        expectLine(errors[0], error);
        expect(run.exitCode).toBe(1);
        expect(stackLines(run.stdout + run.stderr)).toEqual([]);
        expect(await deploy.invocations()).toEqual([]);
        expect(await checkout.state()).toBe(before);
      });
    });
  },
  { sideBySide: true },
);

/**
 * What the processes flakeflow starts receive. Every action that starts processes runs through the
 * runner-exact harness with a token (as its input and as GITHUB_TOKEN/GH_TOKEN), an SSH private key, a
 * Nix signing key, a restic password and the runner's ACTIONS_RUNTIME_TOKEN and
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN set, and the private inputs' key and access token. Each program it may start (nix, git, restic, deadnix, statix,
 * alejandra, deploy, ssh) is first on PATH as a stand-in that writes down its arguments and its
 * environment, then runs the real program. No recorded environment may hold an INPUT_* or ACTIONS_*
 * variable, GITHUB_TOKEN or GH_TOKEN, or any of the secrets' values; the one exception is the
 * Authorization header git's fetch and push get when lock-update pushes with git.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { advanceInput, type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { findExecutable } from '../../src/gate/tool-source.js';
import { ResticLab, type TestRepository } from '../backup/restic-fixtures.js';
import { fakeDeploy, generateKeyPair, KNOWN_HOSTS } from '../deploy/support.js';
import type { FakeGitHub } from '../fake-github/index.js';
import { FAKES, repository } from '../gate/support.js';
import { errorLines, type RunActionOptions, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_AND_RESTIC_VERSIONS } from '../support/versions.js';
import { FleetTemplate, fleetOnGitHub, nixSigningKey, requireBundles } from './support.js';

const SLUG = 'octo-org/homelab';

/** One program as its stand-in recorded it. */
interface StartedProcess {
  program: string;
  argv: string[];
  env: Record<string, string>;
  /** The program that started it, as /proc names it: `nix` for the git Nix fetches with. */
  parent: string;
}

let dir: string;
let template: FleetTemplate;
let lockFleet: ExampleFleet;
let github: FakeGitHub;
let lab: ResticLab;
let nas: TestRepository;
let secrets: Record<string, string>;
let cases = 0;

/** Stand-ins for `programs` (name → the real program) in a fresh directory, and what they recorded. */
async function recorders(root: string, programs: Record<string, string>) {
  const bin = join(root, 'bin');
  const log = join(root, 'started');
  await mkdir(bin, { recursive: true });
  await mkdir(log, { recursive: true });
  for (const [name, real] of Object.entries(programs)) {
    await writeFile(
      join(bin, name),
      [
        '#!/bin/sh',
        `record=$(mktemp '${log}/${name}.XXXXXX')`,
        `printf '%s\\0' "$@" > "$record.argv"`,
        `/usr/bin/env -0 > "$record"`,
        `cat /proc/$PPID/comm > "$record.parent"`,
        `exec '${real}' "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    async started(): Promise<StartedProcess[]> {
      const files = (await readdir(log)).filter((name) => !/\.(argv|parent)$/.test(name));
      return Promise.all(
        files.map(async (file) => {
          const env: Record<string, string> = {};
          for (const entry of (await readFile(join(log, file), 'utf8')).split('\0').filter(Boolean)) {
            const at = entry.indexOf('=');
            env[entry.slice(0, at)] = entry.slice(at + 1);
          }
          const argv = (await readFile(join(log, `${file}.argv`), 'utf8')).split('\0').slice(0, -1);
          const parent = (await readFile(join(log, `${file}.parent`), 'utf8')).trim();
          return { program: file.replace(/\.[^.]+$/, ''), argv, env, parent };
        }),
      );
    },
  };
}

/** Each secret as a leak would show it: whole, its long lines, and base64. */
function secretForms(): Array<{ name: string; value: string }> {
  return Object.entries(secrets).flatMap(([name, value]) => [
    { name, value: value.trim() },
    { name: `${name} (base64)`, value: Buffer.from(value.trim()).toString('base64') },
    ...value
      .split('\n')
      .filter((line) => line.length >= 20 && !line.startsWith('-----'))
      .map((line) => ({ name: `${name} (a line)`, value: line })),
  ]);
}

/** git talking to the server is the one process that may carry the token, as an HTTP header. */
function talksToServer(started: StartedProcess): boolean {
  return started.program === 'git' && started.argv.some((word) => word === 'fetch' || word === 'push');
}

/** `program: what leaked`, for every recorded process that received what it must not. */
function leaks(started: readonly StartedProcess[]): string[] {
  const found: string[] = [];
  for (const process of started) {
    for (const [name, value] of Object.entries(process.env)) {
      if (/^(INPUT_|ACTIONS_)/.test(name) || name === 'GITHUB_TOKEN' || name === 'GH_TOKEN') {
        found.push(`${process.program}: ${name}`);
      }
      if (talksToServer(process) && /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(name)) continue;
      for (const secret of secretForms()) {
        if (value.includes(secret.value)) found.push(`${process.program}: ${secret.name} in ${name}`);
      }
    }
  }
  return [...new Set(found)];
}

async function realPrograms(names: readonly string[]): Promise<Record<string, string>> {
  const programs: Record<string, string> = {};
  for (const name of names) {
    const found = await findExecutable(name, process.env.PATH ?? '');
    if (!found) throw new Error(`${name} is not on PATH: run scripts/setup`);
    programs[name] = found;
  }
  return programs;
}

interface EnvironmentCase {
  action: string;
  /** Programs the action must have started: proof the stand-ins were in its way. */
  starts: string[];
  /** Programs of the case's own, by name, made in its directory. */
  programs?(root: string): Promise<Record<string, string>>;
  options(): Promise<Omit<RunActionOptions, 'action'>>;
}

const CASES: EnvironmentCase[] = [
  {
    action: 'gate',
    starts: ['deadnix', 'statix', 'alejandra', 'git'],
    async options() {
      return {
        workspace: await repository(
          {
            'flake.nix': '{\n  outputs = { self }: { };\n}\n',
            'modules/common.nix': 'let\n  port = 8080;\n  unused = "x";\nin {\n  inherit port;\n}\n',
          },
          'hardening-child-env',
        ),
        inputs: { tools: 'path', formatter: 'alejandra', 'check-run': 'true' },
      };
    },
  },
  {
    action: 'hosts',
    starts: ['nix'],
    options: async () => ({ workspace: (await template.checkout()).workspace }),
  },
  {
    action: 'build',
    starts: ['nix'],
    async options() {
      const checkout = await template.checkout();
      return {
        workspace: checkout.workspace,
        inputs: {
          host: 'gateway',
          'push-to': `file://${join(checkout.rootDir, 'cache')}`,
          'signing-key': secrets['signing key'] as string,
        },
      };
    },
  },
  {
    action: 'lock-update',
    starts: ['nix'],
    async options() {
      github.repo(SLUG).settings.actionsCanCreatePullRequests = true;
      await advanceInput(lockFleet, 'dotfiles');
      return { workspace: lockFleet.flakeDir, inputs: { 'auto-merge': 'false', 'stale-days': '0' } };
    },
  },
  {
    action: 'deploy',
    starts: ['deploy', 'nix'],
    programs: async (root) => ({ deploy: (await fakeDeploy(join(root, 'fake-deploy'), {})).command }),
    async options() {
      const checkout = await template.checkout();
      return {
        workspace: checkout.workspace,
        inputs: {
          targets: 'media',
          'ssh-private-key': secrets['ssh key'] as string,
          'known-hosts': KNOWN_HOSTS,
        },
      };
    },
  },
  {
    action: 'backup-verify',
    starts: ['restic'],
    async options() {
      return {
        inputs: {
          repositories: [
            '- name: nas',
            `  repository: ${nas.location}`,
            '  password-env: NAS_PASSWORD',
            '  max-age: 7d',
          ].join('\n'),
          checks: 'open,freshness',
        },
      };
    },
  },
];

describeEachVersion(NIX_AND_RESTIC_VERSIONS, 'no secret reaches a process that does not need it', () => {
  // Each version gets its own fleets, repository and GitHub.
  beforeAll(async () => {
    requireBundles(['gate', 'hosts', 'build', 'lock-update', 'deploy', 'backup-verify']);
    const { runner } = await requireNix();
    dir = await makeTempDir('hardening-child-env');
    template = await FleetTemplate.create(join(dir, 'fleet'));
    lockFleet = await materializeExampleFleet(join(dir, 'lock-fleet'));
    lab = await ResticLab.create();
    nas = await lab.repository('nas', `nas-${randomBytes(12).toString('hex')}`);
    await nas.backup({
      host: 'homeserver',
      tags: ['immich'],
      paths: [await lab.files('immich', { a: 'a' })],
    });
    secrets = {
      token: `ghs_${randomBytes(18).toString('hex')}`,
      'ssh key': (await generateKeyPair(runner, join(dir, 'id_deploy'))).privateKey,
      'signing key': await nixSigningKey(runner),
      'restic password': nas.password,
      'runtime token': `runtime-${randomBytes(16).toString('hex')}`,
      'id token request token': `oidc-${randomBytes(16).toString('hex')}`,
      'inputs key': (await generateKeyPair(runner, join(dir, 'id_inputs'))).privateKey,
      'access token': `ghp_${randomBytes(18).toString('hex')}`,
    };
    github = await fleetOnGitHub(SLUG, lockFleet.flakeDir, secrets.token as string);
  });
  afterAll(() => Promise.all([github?.close(), lab?.dispose()]).then(() => removeTempDir(dir)));

  it('catches a planted leak: a process started with the token as INPUT_TOKEN', async () => {
    const planted = await recorders(join(dir, 'planted'), await realPrograms(['git']));
    const runner = new SpawnProcessRunner(new RecordingLogger(), undefined, { PATH: planted.path });
    await runner.run('git', ['--version'], { env: { INPUT_TOKEN: secrets.token } });
    expect(leaks(await planted.started())).toEqual(
      expect.arrayContaining(['git: INPUT_TOKEN', 'git: token in INPUT_TOKEN']),
    );
  });

  it.each(CASES)('$action', async ({ action, starts, programs: own, options }) => {
    const root = join(dir, `case-${++cases}`);
    const programs = await realPrograms(['nix', 'git', 'restic', 'ssh']);
    for (const tool of ['deadnix', 'statix', 'alejandra']) programs[tool] = join(FAKES, 'bin', tool);
    const recording = await recorders(root, { ...programs, ...(await own?.(root)) });
    const given = await options();
    const run = await runAction({
      action,
      ...given,
      inputs: {
        ...given.inputs,
        'inputs-ssh-key': secrets['inputs key'] as string,
        'nix-access-tokens': `github.com=${secrets['access token']}`,
      },
      githubToken: secrets.token,
      env: {
        PATH: recording.path,
        GITHUB_TOKEN: secrets.token as string,
        GH_TOKEN: secrets.token as string,
        SSH_PRIVATE_KEY: secrets['ssh key'] as string,
        NIX_SIGNING_KEY: secrets['signing key'] as string,
        NAS_PASSWORD: secrets['restic password'] as string,
        ACTIONS_RUNTIME_TOKEN: secrets['runtime token'] as string,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: secrets['id token request token'] as string,
        ACTIONS_RESULTS_URL: 'https://results-receiver.actions.githubusercontent.com/',
        GITHUB_API_URL: github.url,
        GITHUB_GRAPHQL_URL: github.graphqlUrl,
      },
    });
    const started = await recording.started();
    const diagnosis = `exit ${run.exitCode}: ${errorLines(run).join('\n')}`;
    for (const program of starts)
      expect(
        started.map((entry) => entry.program),
        diagnosis,
      ).toContain(program);
    expect(leaks(started)).toEqual([]);
    // The Nix access (its key's path, its nix.conf) reaches Nix, and the git Nix fetches with, only.
    const withAccess = started.filter((entry) =>
      ['GIT_SSH_COMMAND', 'NIX_USER_CONF_FILES'].some((name) =>
        entry.env[name]?.includes('flakeflow-nix-access-'),
      ),
    );
    expect(withAccess.filter((entry) => entry.program !== 'nix' && entry.parent !== 'nix')).toEqual([]);
    if (starts.includes('nix')) expect(withAccess.map((entry) => entry.program)).toContain('nix');
  });
});

/**
 * Secrets never leak: every action runs through the runner-exact harness, once succeeding and once
 * failing, with a GitHub token, an SSH private key, a Nix signing key and restic passwords set —
 * as the inputs that take them and, for every action, in its environment too, as a workflow's `env:`
 * would put them. None of them, nor their base64 forms, may appear in stdout (but inside the
 * `::add-mask::` commands the runner consumes), stderr, the job summary, the outputs, or any file
 * left under RUNNER_TEMP once the post step has run.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resultFileOf } from '../../src/build/build-result.js';
import { advanceInput, type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import type { HostEntry } from '../../src/hosts/matrix.js';
import { DAY, ResticLab, resticTime, type TestRepository } from '../backup/restic-fixtures.js';
import { fakeDeploy, generateKeyPair, KNOWN_HOSTS } from '../deploy/support.js';
import { eventPayload, type FakeGitHub } from '../fake-github/index.js';
import { fakeBin, pathWith, repository } from '../gate/support.js';
import { type ActionRun, errorLines, type RunActionOptions, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_AND_RESTIC_VERSIONS } from '../support/versions.js';
import {
  ACTION_BUNDLES,
  FleetTemplate,
  fleetOnGitHub,
  nixSigningKey,
  printedOutsideMasks,
  requireBundles,
} from './support.js';

const SLUG = 'octo-org/homelab';

interface Secret {
  name: string;
  value: string;
}

let dir: string;
let template: FleetTemplate;
let lockFleet: ExampleFleet;
let github: FakeGitHub;
let lab: ResticLab;
let nas: TestRepository;
let secrets: {
  token: string;
  sshKey: string;
  signingKey: string;
  resticPasswords: string[];
};

/** Each secret in the forms a leak would take: whole, base64, each long line, and git's auth header. */
function secretForms(): Secret[] {
  const base = [
    { name: 'token', value: secrets.token },
    { name: 'ssh key', value: secrets.sshKey },
    { name: 'signing key', value: secrets.signingKey },
    ...secrets.resticPasswords.map((value, index) => ({ name: `restic password ${index + 1}`, value })),
  ];
  const forms: Secret[] = [];
  for (const { name, value } of base) {
    forms.push({ name, value: value.trim() });
    forms.push({ name: `${name} (base64)`, value: Buffer.from(value).toString('base64') });
    forms.push({ name: `${name} (base64, trimmed)`, value: Buffer.from(value.trim()).toString('base64') });
    for (const line of value.split('\n').filter((text) => text.length >= 20 && !text.startsWith('-----')))
      forms.push({ name: `${name} (a line)`, value: line });
    const afterColon = value.trim().split(':')[1];
    if (afterColon && afterColon.length >= 20) forms.push({ name: `${name} (key part)`, value: afterColon });
  }
  forms.push({
    name: 'token (git http auth header)',
    value: Buffer.from(`x-access-token:${secrets.token}`).toString('base64'),
  });
  return forms;
}

/** What a workflow's `env:` may hold besides the inputs: every secret, as its own variable. */
function secretEnvironment(): Record<string, string> {
  return {
    GITHUB_TOKEN: secrets.token,
    SSH_PRIVATE_KEY: secrets.sshKey,
    NIX_SIGNING_KEY: secrets.signingKey,
    NAS_PASSWORD: secrets.resticPasswords[0] as string,
    OFFSITE_PASSWORD: secrets.resticPasswords[1] as string,
  };
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Every place a secret was found: `where: which secret`. */
async function leaks(run: ActionRun): Promise<string[]> {
  const places: Array<[string, Buffer]> = [
    ['stdout or stderr (outside ::add-mask::)', Buffer.from(printedOutsideMasks(run))],
    ['the job summary', Buffer.from(run.summary)],
    ['the outputs', Buffer.from(JSON.stringify(run.outputs))],
  ];
  for (const file of await filesUnder(run.runnerTemp)) places.push([file, await readFile(file)]);
  const found: string[] = [];
  for (const [where, content] of places) {
    for (const secret of secretForms()) {
      if (content.includes(secret.value)) found.push(`${where}: ${secret.name}`);
    }
  }
  return found;
}

interface SecretCase {
  action: (typeof ACTION_BUNDLES)[number];
  path: 'succeeds' | 'fails';
  /** The harness options, less the secrets and fake GitHub every case gets. */
  options(): Promise<Omit<RunActionOptions, 'action'>>;
  /** Why the failing path fails: its first error line. */
  failure?: RegExp;
}

const GATE_CLEAN = {
  'flake.nix': '{\n  description = "homelab";\n  outputs = { self }: { };\n}\n',
  'hosts/gateway.nix': '{ ... }:\n{\n  networking.hostName = "gateway";\n}\n',
};
const GATE_DIRTY = {
  ...GATE_CLEAN,
  'modules/common.nix': 'let\n  port = 8080;\n  unused = "x";\nin {\n  inherit port;\n}\n',
};

function repositories(maxAge: string): string {
  return [
    '- name: nas',
    `  repository: ${nas.location}`,
    '  password-env: NAS_PASSWORD',
    `  max-age: ${maxAge}`,
    '  groups: [{ host: homeserver, tags: [immich] }, { host: homeserver, tags: [vaultwarden] }]',
  ].join('\n');
}

async function reportWorkspace(failed: boolean): Promise<Omit<RunActionOptions, 'action'>> {
  const workspace = join(dir, `report-${failed ? 'failing' : 'passing'}`);
  const hosts: HostEntry[] = [
    { host: 'media', kind: 'nixos', status: 'build', reason: 'changed', system: 'x86_64-linux' },
  ];
  const result = failed
    ? { host: 'media', status: 'failed' as const, error: 'error: builder failed' }
    : { host: 'media', status: 'built' as const, closureSize: 4096 };
  await mkdir(join(workspace, 'flakeflow-results'), { recursive: true });
  await writeFile(
    join(workspace, 'flakeflow-results', 'flakeflow-result-media.json'),
    JSON.stringify(resultFileOf([result])),
  );
  const repo = github.repo(SLUG);
  const branch = `hosts-${failed ? 'failing' : 'passing'}`;
  repo.seedBranch(branch, { 'flake.nix': '{ }\n' });
  const pull = repo.openPullRequest({ head: branch });
  return {
    workspace,
    inputs: { hosts: JSON.stringify(hosts) },
    event: {
      name: 'pull_request',
      payload: eventPayload('pull_request', { repository: repo, number: pull.number }),
    },
  };
}

async function deployCase(mode: 'ok' | 'rollback'): Promise<Omit<RunActionOptions, 'action'>> {
  const checkout = await template.checkout();
  const fake = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), {
    latencyMs: 50,
    nodes: { media: { mode } },
  });
  return {
    workspace: checkout.workspace,
    env: fake.env,
    inputs: { targets: 'media', 'ssh-private-key': secrets.sshKey, 'known-hosts': KNOWN_HOSTS },
  };
}

const CASES: SecretCase[] = [
  {
    action: 'lock-update',
    path: 'fails',
    async options() {
      // GitHub refuses the pull request: the token was used, and the failure must not show it.
      github.repo(SLUG).settings.actionsCanCreatePullRequests = false;
      await advanceInput(lockFleet, 'dotfiles');
      return { workspace: lockFleet.flakeDir, inputs: { 'auto-merge': 'false', 'stale-days': '0' } };
    },
    failure: /^GitHub Actions is not permitted to create pull requests/,
  },
  {
    action: 'lock-update',
    path: 'succeeds',
    async options() {
      github.repo(SLUG).settings.actionsCanCreatePullRequests = true;
      await advanceInput(lockFleet, 'secrets');
      return { workspace: lockFleet.flakeDir, inputs: { 'auto-merge': 'false', 'stale-days': '0' } };
    },
  },
  {
    action: 'gate',
    path: 'succeeds',
    async options() {
      return {
        workspace: await repository(GATE_CLEAN, 'hardening-secrets'),
        env: { PATH: pathWith(await fakeBin()) },
        inputs: { tools: 'path', 'check-run': 'true' },
      };
    },
  },
  {
    action: 'gate',
    path: 'fails',
    async options() {
      return {
        workspace: await repository(GATE_DIRTY, 'hardening-secrets'),
        env: { PATH: pathWith(await fakeBin()) },
        inputs: { tools: 'path', 'check-run': 'true' },
      };
    },
    failure: /^flakeflow gate failed: 1 warning in 1 file/,
  },
  {
    action: 'hosts',
    path: 'succeeds',
    async options() {
      return { workspace: (await template.checkout()).workspace };
    },
  },
  {
    action: 'hosts',
    path: 'fails',
    async options() {
      // The pi's module uses a name bound nowhere: pi fails to evaluate, the other hosts do not.
      const { workspace } = await template.checkout();
      const module = join(workspace, 'hosts', 'pi', 'default.nix');
      await writeFile(module, (await readFile(module, 'utf8')).replace('"pi";', 'piHostName;'));
      return { workspace };
    },
    failure: /^error: undefined variable 'piHostName'/,
  },
  {
    action: 'build',
    path: 'succeeds',
    async options() {
      const checkout = await template.checkout();
      return {
        workspace: checkout.workspace,
        inputs: {
          host: 'gateway',
          'push-to': `file://${join(checkout.rootDir, 'cache')}`,
          'signing-key': secrets.signingKey,
        },
      };
    },
  },
  {
    action: 'build',
    path: 'fails',
    async options() {
      const checkout = await template.checkout();
      return {
        workspace: checkout.workspace,
        inputs: {
          host: 'ghost',
          'push-to': `file://${join(checkout.rootDir, 'cache')}`,
          'signing-key': secrets.signingKey,
        },
      };
    },
    failure: /^no host named 'ghost'/,
  },
  { action: 'report', path: 'succeeds', options: () => reportWorkspace(false) },
  {
    action: 'report',
    path: 'fails',
    options: () => reportWorkspace(true),
    failure: /^1 host\(s\) failed: media$/,
  },
  { action: 'deploy', path: 'succeeds', options: () => deployCase('ok') },
  {
    action: 'deploy',
    path: 'fails',
    options: () => deployCase('rollback'),
    failure: /^the activation script failed \(exit 1\); rolled back/,
  },
  {
    action: 'backup-verify',
    path: 'succeeds',
    async options() {
      return {
        inputs: { repositories: repositories('7d'), checks: 'open,freshness', 'alert-issue': 'true' },
      };
    },
  },
  {
    action: 'backup-verify',
    path: 'fails',
    async options() {
      // vaultwarden's snapshot is three days old: stale at 26h, and the alert issue is opened.
      return {
        inputs: { repositories: repositories('26h'), checks: 'open,freshness', 'alert-issue': 'true' },
      };
    },
    failure: /^the latest snapshot \w+ of homeserver \[vaultwarden\] is 3 d 0 h old/,
  },
];

describeEachVersion(NIX_AND_RESTIC_VERSIONS, 'no secret in any output of any action', () => {
  // Each version gets its own fleets, repository and GitHub: the lock-update cases depend on what GitHub holds.
  beforeAll(async () => {
    requireBundles(ACTION_BUNDLES);
    const { runner } = await requireNix();
    dir = await makeTempDir('hardening-secrets');
    template = await FleetTemplate.create(join(dir, 'fleet'));
    lockFleet = await materializeExampleFleet(join(dir, 'lock-fleet'));
    lab = await ResticLab.create();
    const offsitePassword = `offsite-${randomBytes(12).toString('hex')}`;
    nas = await lab.repository('nas', `nas-${randomBytes(12).toString('hex')}`);
    const photos = await lab.files('immich', { 'a.jpg': 'jpeg bytes' });
    await nas.backup({ host: 'homeserver', tags: ['immich'], paths: [photos] });
    await nas.backup({
      host: 'homeserver',
      tags: ['vaultwarden'],
      paths: [photos],
      time: resticTime(Date.now(), 3 * DAY),
    });
    const signingKey = await nixSigningKey(runner);
    secrets = {
      token: `ghs_${randomBytes(18).toString('hex')}`,
      sshKey: (await generateKeyPair(runner, join(dir, 'id_deploy'))).privateKey,
      signingKey,
      resticPasswords: [nas.password, offsitePassword],
    };
    github = await fleetOnGitHub(SLUG, lockFleet.flakeDir, secrets.token);
  });
  afterAll(() => Promise.all([github?.close(), lab?.dispose()]).then(() => removeTempDir(dir)));

  it('covers every action, succeeding and failing for a stated reason', () => {
    for (const action of ACTION_BUNDLES) {
      const cases = CASES.filter((entry) => entry.action === action);
      expect(cases.map((entry) => entry.path).sort()).toEqual(['fails', 'succeeds']);
      expect(cases.find((entry) => entry.path === 'fails')?.failure).toBeInstanceOf(RegExp);
    }
  });

  async function expectNoLeak({ action, path, options, failure }: SecretCase): Promise<void> {
    const given = await options();
    const run = await runAction({
      action,
      ...given,
      githubToken: secrets.token,
      env: {
        ...secretEnvironment(),
        ...given.env,
        GITHUB_API_URL: github.url,
        GITHUB_GRAPHQL_URL: github.graphqlUrl,
      },
    });
    const diagnosis = `exit ${run.exitCode}\n${errorLines(run).join('\n')}\n${run.stderr}`;
    expect(run.exitCode, diagnosis).toBe(path === 'succeeds' ? 0 : 1);
    if (failure) expect(errorLines(run)[0]).toMatch(failure);
    if (run.post) expect(run.post.exitCode).toBe(0);
    expect(await leaks(run)).toEqual([]);
  }

  // The lock-update cases share a fleet and a repository on the fake GitHub: one after the other.
  it.each(CASES.filter((entry) => entry.action === 'lock-update'))('$action $path', expectNoLeak);
  it.concurrent.each(CASES.filter((entry) => entry.action !== 'lock-update'))('$action $path', expectNoLeak);
});

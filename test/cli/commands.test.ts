import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceInput,
  EXAMPLE_HOSTS,
  type ExampleFleet,
  materializeExampleFleet,
} from '../../src/demo/example-fleet.js';
import { ResticLab as Lab, type ResticLab } from '../backup/restic-fixtures.js';
import { fakeDeploy } from '../deploy/support.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { type CliRun, errorLines, jsonOutputs, REPO, runCli } from './support.js';

const HOST_NAMES = EXAMPLE_HOSTS.map((host) => host.name);
const GATE_FAKES = join(REPO, 'test', 'gate', 'fakes', 'bin');

let tempDir: string;
let fleet: ExampleFleet;

beforeAll(async () => {
  const { runner, nix } = await requireNix();
  tempDir = await makeTempDir('cli-commands');
  fleet = await materializeExampleFleet(join(tempDir, 'fleet'), { runner, nix });
});
afterAll(() => removeTempDir(tempDir));

const inFleet = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> =>
  runCli(args, { cwd: fleet.flakeDir, env });

function expectPassed(run: CliRun): void {
  expect(run.exitCode, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
}

describeEachVersion(NIX_VERSIONS, 'flakeflow hosts', () => {
  it('prints the matrix and every host as JSON', async () => {
    const run = await inFleet(['hosts', '--json']);
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(Object.keys(outputs)).toEqual(['matrix', 'hosts', 'count', 'empty']);
    expect(outputs.count).toBe('6');
    const hosts = outputs.hosts as { host: string; system: string }[];
    expect(hosts.map((host) => host.host).sort()).toEqual([...HOST_NAMES].sort());
    const matrix = outputs.matrix as { include: { host: string; runner: string }[] };
    expect(matrix.include.find((entry) => entry.host === 'pi')?.runner).toBe('ubuntu-24.04-arm');
  });

  it('shows a terminal summary naming every host, and writes the markdown summary to a file', async () => {
    const summaryFile = join(tempDir, 'hosts-summary.md');
    const run = await inFleet([
      'hosts',
      '--summary',
      summaryFile,
      '--runners',
      '{x86_64-linux: [self-hosted, nix]}',
    ]);
    expectPassed(run);
    for (const host of HOST_NAMES) expect(run.stdout).toContain(host);
    expect(run.stdout).toMatch(/✓ flakeflow hosts passed in/);
    expect(run.stdout).not.toContain('\u001b[');
    const markdown = await readFile(summaryFile, 'utf8');
    expect(markdown).toMatch(/^\| *Host *\|/m);
    expect(markdown).toContain('self-hosted');
    // The terminal shows the same table as aligned columns, not as markdown.
    expect(run.stdout).not.toMatch(/^\|/m);
  });

  it('colours its output for a terminal and not when NO_COLOR is set', async () => {
    const coloured = await inFleet(['hosts'], { FORCE_COLOR: '1', NO_COLOR: undefined });
    expect(coloured.stdout).toContain('\u001b[');
    const plain = await inFleet(['hosts'], { FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(plain.stdout).not.toContain('\u001b[');
  });
});

describeEachVersion(NIX_VERSIONS, 'flakeflow build', () => {
  it('builds one host given by --host', async () => {
    const run = await inFleet(['build', '--host', 'pi', '--json']);
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(outputs['out-path']).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nixos-system-pi/);
    expect(existsSync(outputs['out-path'] as string)).toBe(true);
    expect(Number(outputs['closure-size'])).toBeGreaterThan(0);
  });

  it('builds every host when none is named, with progress per host on stderr', async () => {
    const run = await inFleet(['build', '--keep-temp', '--json']);
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(String(outputs['out-path']).split(' ')).toHaveLength(HOST_NAMES.length);
    for (const host of HOST_NAMES) expect(run.stderr).toContain(`Building ${host}`);

    // The kept result-file feeds `flakeflow report`, as the matrix's artifacts feed the report job.
    const resultFile = outputs['result-file'] as string;
    expect(existsSync(resultFile)).toBe(true);
    const report = await inFleet(['report', '--results', dirname(resultFile), '--json']);
    expectPassed(report);
    const reported = jsonOutputs(report);
    expect(reported.passed).toBe('true');
    for (const host of HOST_NAMES) expect(reported.summary).toContain(host);
    await rm(dirname(dirname(resultFile)), { recursive: true, force: true });
  });

  it('fails with exit code 1 and one line when a host does not exist', async () => {
    const run = await inFleet(['build', '--host', 'toaster']);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([expect.stringContaining('toaster')]);
    expect(run.stdout).toMatch(/✗ flakeflow build failed/);
  });
});

describe('flakeflow deploy', () => {
  it('only plans without --apply: canary first, then the rest', async () => {
    const run = await inFleet(['deploy', '--json']);
    expectPassed(run);
    const nodes = jsonOutputs(run).result as { node: string; wave: number; status: string }[];
    expect(nodes.filter((node) => node.wave === 1).map((node) => node.node)).toEqual(['media']);
    expect(
      nodes
        .filter((node) => node.wave === 2)
        .map((node) => node.node)
        .sort(),
    ).toEqual(['gateway', 'homeserver', 'pi']);
    expect(new Set(nodes.map((node) => node.status))).toEqual(new Set(['planned']));
  });

  it('resolves @tags and the waves strategy, and says nothing was deployed', async () => {
    const run = await inFleet(['deploy', '--targets', '@servers,pi', '--strategy', 'waves']);
    expectPassed(run);
    expect(run.stdout).toContain('Deploy plan: 3 nodes in 3 waves');
    expect(run.stdout).toMatch(/Wave 1\s+Node\s+Hostname\s+Tags\s+media\s+media\.home\.arpa/);
    expect(run.stdout).toContain('Nothing was deployed');
  });
});

describe('flakeflow deploy --apply', () => {
  const fake = join(REPO, 'test', 'deploy', 'fakes', 'fake-deploy.mjs');
  const applying = ['deploy', '--apply', '--deploy-command', `${process.execPath} ${fake}`];

  it('deploys the plan wave by wave and lists the deployed nodes', async () => {
    const run = await inFleet([...applying, '--strict-host-key-checking', 'false', '--json']);
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(String(outputs.deployed).split(',').sort()).toEqual(['gateway', 'homeserver', 'media', 'pi']);
    expect(outputs.failed).toBe('');
    expect(run.stderr).toMatch(/▸ ✅ media: deployed/);
  });

  it('exits 1 naming the node that failed, and skips the rest after the canary', async () => {
    const failing = await fakeDeploy(join(tempDir, 'fake-deploy'), { nodes: { media: { mode: 'fail' } } });
    const run = await inFleet([
      'deploy',
      '--apply',
      '--deploy-command',
      failing.command,
      '--strict-host-key-checking',
      'false',
    ]);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      expect.stringMatching(/^error: Deploy failed: media failed; 3 node\(s\) not deployed/),
    ]);
    expect(run.stdout).toMatch(/✗ flakeflow deploy failed/);
  });

  it('refuses to deploy without pinned host keys, before anything runs', async () => {
    const run = await inFleet(applying);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([expect.stringMatching(/^error: Input 'known-hosts' is required/)]);
    expect(run.stdout).toBe('');
  });
});

describeEachVersion(NIX_VERSIONS, 'flakeflow lock-update', () => {
  it('renders the pull request it would open, and leaves flake.lock as it was', async () => {
    const lockBefore = await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8');
    const advanced = await advanceInput(fleet, 'secrets', { kind: 'update' });
    const run = await inFleet(['lock-update', '--json']);
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(outputs.changed).toBe('true');
    expect(outputs['pull-request-operation']).toBe('none');
    expect(outputs.body).toContain(advanced.rev.slice(0, 7));
    const updated = outputs['updated-inputs'] as { input: string }[];
    expect(updated.map((input) => input.input)).toEqual(['secrets']);
    expect(await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8')).toBe(lockBefore);
  });

  it('refuses to publish without --push', async () => {
    const run = await inFleet(['lock-update', '--dry-run', 'false']);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([expect.stringContaining('--push')]);
  });

  it('asks for a token before pushing', async () => {
    const run = await inFleet(['lock-update', '--push'], { GITHUB_TOKEN: undefined, GH_TOKEN: undefined });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      expect.stringMatching(/needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN/),
    ]);
  });
});

describeEachVersion(NIX_VERSIONS, 'flakeflow gate', () => {
  it('runs the checks with the tools on PATH and annotates what they find', async () => {
    const env = { PATH: `${GATE_FAKES}${delimiter}${process.env.PATH ?? ''}` };
    const run = await inFleet(['gate', '--tools', 'path', '--json'], env);
    const outputs = jsonOutputs(run);
    expect(run.exitCode).toBe(outputs.passed === 'true' ? 0 : 1);
    expect(run.stderr).toMatch(/deadnix · deadnix/);
    expect(run.stderr).toMatch(/statix · statix/);
    // On a terminal each finding is one `file:line:col: level: check: message` line, as compilers print.
    const shown = await inFleet(['gate', '--tools', 'path'], env);
    const findingLines = shown.stdout
      .split('\n')
      .filter((line) => /^ {2}\S+\.nix:\d+:\d+: (error|warning|notice): /.test(line));
    expect(findingLines).toHaveLength(Math.min(Number(outputs.findings), 8));
  });

  it('fails like the action when a tool is missing, naming it in one line', async () => {
    const run = await inFleet(['gate', '--tools', 'path', '--checks', 'deadnix'], {
      PATH: dirname(process.execPath),
    });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([expect.stringContaining('deadnix is not on PATH')]);
  });
});

describe('flakeflow backup-verify', () => {
  let lab: ResticLab;
  beforeAll(async () => {
    lab = await Lab.create();
  });
  afterAll(() => lab.dispose());

  it('verifies a real restic repository with fresh snapshots', async () => {
    const repository = await lab.repository('homeserver');
    const immich = await lab.files('immich', { 'library/photo.jpg': 'jpeg', 'db.sql': 'create table' });
    const vaultwarden = await lab.files('vaultwarden', { 'db.sqlite3': 'sqlite' });
    await repository.backup({ host: 'homeserver', tags: ['immich'], paths: [immich] });
    await repository.backup({ host: 'homeserver', tags: ['vaultwarden'], paths: [vaultwarden] });
    const config = join(lab.root, 'backups.yml');
    await writeFile(
      config,
      [
        '- name: homeserver',
        `  repository: ${repository.location}`,
        `  password-file: ${repository.passwordFile}`,
        '  max-age: 26h',
        '  groups: [{tags: [immich]}, {tags: [vaultwarden]}]',
      ].join('\n'),
    );
    const run = await inFleet(['backup-verify', '--config', config, '--json'], {
      RESTIC_CACHE_DIR: lab.path('cache'),
    });
    expectPassed(run);
    const outputs = jsonOutputs(run);
    expect(outputs.healthy).toBe('true');
    expect(outputs.failures).toEqual([]);
    expect(run.stderr).not.toContain(repository.password);
  });
});

describe('bad command lines', () => {
  it.each([
    [
      ['deploy', '--tagets', 'all'],
      /^error: unknown option --tagets for flakeflow deploy; did you mean --targets/,
    ],
    [
      ['deploy', '--strategy', 'fast'],
      /^error: Input 'strategy' must be one of canary, waves, all-at-once, one-by-one, got 'fast'$/,
    ],
    [['hosts', '--max-jobs'], /^error: option --max-jobs needs a value$/],
    [['hosts', 'extra'], /^error: flakeflow hosts takes options only/],
    [['deploi'], /^error: unknown command 'deploi'; did you mean deploy/],
    [['gate', '--checks', 'format', '--checks', 'statix'], /^error: option --checks is given twice/],
  ])('%j exits 1 with one line', async (args, message) => {
    const run = await inFleet(args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(run.stdout).toBe('');
  });

  it('says its version and lists the commands', async () => {
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const version = await inFleet(['--version']);
    expect(version.stdout).toBe(`flakeflow ${manifest.version}\n`);
    const help = await inFleet(['--help']);
    expectPassed(help);
    for (const name of [
      'gate',
      'hosts',
      'build',
      'report',
      'lock-update',
      'deploy',
      'backup-verify',
      'status',
      'init',
      'demo',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    }
  });

  it('documents every input of a command with its default', async () => {
    const run = await inFleet(['deploy', '--help']);
    expectPassed(run);
    expect(run.stdout).toMatch(/--targets VALUE\s+Nodes to deploy/);
    expect(run.stdout).toContain('(default: canary)');
    expect(run.stdout).toMatch(/--apply\s+deploy the plan/);
    const status = await inFleet(['status', '--help']);
    expectPassed(status);
    expect(status.stdout).toMatch(/--fail-on VALUE\s+States that fail the step/);
    expect(status.stdout).toContain('(default: unevaluable,drifted,unreachable)');
    expect(status.stdout).toMatch(/--nodes VALUE\s+For the switch engine/);
  });
});

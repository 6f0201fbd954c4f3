import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../../src/core/process.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { git } from '../../src/demo/git-repo.js';
import { type FakeGitHub, type RecordedRequest, startFakeGitHub } from '../fake-github/index.js';
import { type ActionRun, repositoryRoot } from '../harness/run-action.js';
import { checkoutFiles } from '../lock/github-fixture.js';
import { requireNix } from '../support/nix.js';

/** Every action bundle the runner starts, in the order of a fleet's life. */
export const ACTION_BUNDLES = [
  'lock-update',
  'gate',
  'hosts',
  'build',
  'report',
  'deploy',
  'backup-verify',
] as const;

export function requireBundles(names: readonly string[]): void {
  for (const name of names) {
    const bundle = join(repositoryRoot, 'dist', name, 'index.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  }
}

/** A checkout of the example fleet that one case may use, and change, alone. */
export interface FleetCheckout {
  /** Holds `homelab/` (the fleet's git repository) and `inputs/`. */
  rootDir: string;
  /** The fleet's git repository: the workspace the action runs in. */
  workspace: string;
  /** What `git status` and the refs say now: equal before and after means nothing was modified. */
  state(): Promise<string>;
}

/**
 * The example fleet, materialised once (real git, a lock written by real Nix) and copied for each
 * case: materialising takes seconds, a copy milliseconds.
 */
export class FleetTemplate {
  private copies = 0;

  private constructor(
    readonly fleet: ExampleFleet,
    private readonly dir: string,
    private readonly runner: ProcessRunner,
  ) {}

  static async create(dir: string): Promise<FleetTemplate> {
    const { runner, nix } = await requireNix();
    const fleet = await materializeExampleFleet(join(dir, 'template'), { runner, nix });
    return new FleetTemplate(fleet, dir, runner);
  }

  async checkout(): Promise<FleetCheckout> {
    const rootDir = join(this.dir, `checkout-${++this.copies}`);
    await cp(this.fleet.rootDir, rootDir, { recursive: true });
    // The fleet's flake.nix names its inputs by absolute path: the copy keeps pointing at the template's.
    const workspace = join(rootDir, 'homelab');
    const state = async () =>
      [
        await git(this.runner, workspace, ['status', '--porcelain=v1', '--untracked-files=all']),
        await git(this.runner, workspace, ['for-each-ref', '--format=%(refname) %(objectname)']),
        await git(this.runner, workspace, ['stash', 'list']),
      ].join('\n');
    await state(); // refreshes the copied index, so only real changes show later
    return { rootDir, workspace, state };
  }
}

function isWrite(request: RecordedRequest): boolean {
  if (request.graphql) return /^\s*mutation\b/.test(request.graphql.query);
  return !['GET', 'HEAD', 'OPTIONS'].includes(request.method.toUpperCase());
}

/** Requests that change something on GitHub, made with `token` (each case runs with its own). */
export function writeRequests(server: FakeGitHub, token: string): string[] {
  return server.requests
    .filter((request) => String(request.headers.authorization ?? '').endsWith(token))
    .filter(isWrite)
    .map(
      (request) =>
        `${request.method} ${request.path}${request.graphql ? ` ${request.graphql.rootFields}` : ''}`,
    );
}

/** A token of the shape GitHub gives Actions, distinct per case so requests can be told apart. */
export function caseToken(index: number): string {
  return `ghs_hardening${String(index).padStart(4, '0')}${'x'.repeat(20)}`;
}

/** Lines a runner shows as a stack trace. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s{2,}at /.test(line));
}

/** Everything the main and post steps printed, less the `::add-mask::` commands that register secrets. */
export function printedOutsideMasks(run: ActionRun): string {
  return [run.stdout, run.stderr, run.post?.stdout ?? '', run.post?.stderr ?? '']
    .join('\n')
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** Programs flakeflow may start; a recording stand-in for each shows whether anything was started. */
export const STARTABLE_PROGRAMS = [
  'nix',
  'git',
  'nix-eval-jobs',
  'deadnix',
  'statix',
  'alejandra',
  'nixfmt',
  'treefmt',
  'restic',
  'deploy',
  'ssh',
] as const;

/** A directory to put first on PATH whose programs only note that they were started, and fail. */
export async function recordingPrograms(
  dir: string,
): Promise<{ path: string; started(): Promise<string[]> }> {
  const bin = join(dir, 'recording-bin');
  const log = join(dir, 'started.log');
  await mkdir(bin, { recursive: true });
  await writeFile(log, '');
  for (const program of STARTABLE_PROGRAMS) {
    await writeFile(join(bin, program), `#!/bin/sh\necho ${program} >> '${log}'\nexit 1\n`, { mode: 0o755 });
  }
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    started: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
  };
}

/** A fresh Nix binary-cache signing key, as `nix key generate-secret` prints it. */
export async function nixSigningKey(runner: ProcessRunner): Promise<string> {
  const signing = await runner.run('nix', ['key', 'generate-secret', '--key-name', 'cache.homelab-1']);
  if (signing.exitCode !== 0) throw new Error(`nix key generate-secret: ${signing.stderr}`);
  return signing.stdout.trim();
}

/** The fake GitHub holding the checkout of `flakeDir` as `slug`, answering `token`. */
export async function fleetOnGitHub(slug: string, flakeDir: string, token: string): Promise<FakeGitHub> {
  return startFakeGitHub({ repositories: [{ slug, files: await checkoutFiles(flakeDir) }], token });
}

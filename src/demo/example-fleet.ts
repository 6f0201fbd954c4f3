import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../core/errors.js';
import { RecordingLogger } from '../core/logger.js';
import { type ProcessRunner, SpawnProcessRunner } from '../core/process.js';
import { NixCli } from '../nix/cli.js';
import { buildAttrPath, examplesDir, type FleetHost, type HostKind } from './fleet.js';
import { commitAll, commitCount, initRepository } from './git-repo.js';

/**
 * The committed flake.nix files name their git inputs under this URL, which exists nowhere; a
 * materialized copy points them at the input repositories created beside it.
 */
export const INPUT_URL_PLACEHOLDER = 'git+file:///flakeflow-example-inputs/';

export const EXAMPLE_INPUTS = ['secrets', 'dotfiles'] as const;
export type ExampleInputName = (typeof EXAMPLE_INPUTS)[number];

export interface ExampleInput {
  name: ExampleInputName;
  /** The input's git repository. */
  dir: string;
  /** The URL the fleet's flake.nix gives for it. */
  url: string;
  /** The revision the fleet's flake.lock was created with. */
  initialRev: string;
}

export interface ExampleFleet {
  rootDir: string;
  /** The fleet's git repository, holding flake.nix and a committed flake.lock. */
  flakeDir: string;
  inputs: Record<ExampleInputName, ExampleInput>;
  hosts: readonly FleetHost[];
}

export interface ExampleFleetOptions {
  runner?: ProcessRunner;
  nix?: NixCli;
}

function host(name: string, kind: HostKind, system: string, deploy?: FleetHost['deploy']): FleetHost {
  return { name, kind, system, buildAttrPath: buildAttrPath(kind, name), ...(deploy ? { deploy } : {}) };
}

/** What nix/examples/homelab/flake.nix declares, in rollout order. */
export const EXAMPLE_HOSTS: readonly FleetHost[] = [
  host('media', 'nixos', 'x86_64-linux', { tags: ['canary', 'servers'], wave: 1 }),
  host('homeserver', 'nixos', 'x86_64-linux', { tags: ['servers', 'storage'], wave: 2 }),
  host('gateway', 'nixos', 'x86_64-linux', { tags: ['edge', 'network'], wave: 3 }),
  host('pi', 'nixos', 'aarch64-linux', { tags: ['edge', 'arm'], wave: 3 }),
  host('laptop', 'darwin', 'aarch64-darwin'),
  host('alice@workstation', 'home-manager', 'x86_64-linux'),
];

/**
 * Copies nix/examples/homelab to `<targetDir>/homelab` and its inputs to `<targetDir>/inputs/<name>`,
 * makes each a git repository with one commit, points the fleet at the inputs and commits it with
 * a flake.lock written by a real `nix flake lock`.
 */
export async function materializeExampleFleet(
  targetDir: string,
  options: ExampleFleetOptions = {},
): Promise<ExampleFleet> {
  const runner = options.runner ?? new SpawnProcessRunner(new RecordingLogger());
  const nix = options.nix ?? new NixCli(runner);
  const rootDir = resolve(targetDir);
  await mkdir(rootDir, { recursive: true });
  if ((await readdir(rootDir)).length > 0) {
    throw new UserError(`${rootDir} is not empty; the example fleet needs an empty directory`);
  }

  const inputsDir = join(rootDir, 'inputs');
  const inputs = {} as Record<ExampleInputName, ExampleInput>;
  for (const name of EXAMPLE_INPUTS) {
    const dir = join(inputsDir, name);
    await cp(join(examplesDir(), 'homelab-inputs', name), dir, { recursive: true });
    await pointAtInputs(dir, inputsDir, false);
    await initRepository(runner, dir);
    const initialRev = await commitAll(runner, dir, `Initial ${name}`);
    inputs[name] = { name, dir, url: inputUrl(inputsDir, name), initialRev };
  }

  const flakeDir = join(rootDir, 'homelab');
  await cp(join(examplesDir(), 'homelab'), flakeDir, { recursive: true });
  await pointAtInputs(flakeDir, inputsDir, true);
  await initRepository(runner, flakeDir);
  await commitAll(runner, flakeDir, 'Initial homelab');
  await nix.lock(flakeDir);
  await commitAll(runner, flakeDir, 'flake.lock: Lock inputs');

  return { rootDir, flakeDir, inputs, hosts: EXAMPLE_HOSTS };
}

function inputUrl(inputsDir: string, name: string): string {
  return `git+${pathToFileURL(join(inputsDir, name)).href}`;
}

async function pointAtInputs(repoDir: string, inputsDir: string, required: boolean): Promise<void> {
  const flakeFile = join(repoDir, 'flake.nix');
  let text: string;
  try {
    text = await readFile(flakeFile, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (required && !text.includes(INPUT_URL_PLACEHOLDER)) {
    throw new Error(`${flakeFile} names no input under ${INPUT_URL_PLACEHOLDER}`);
  }
  const base = `git+${pathToFileURL(inputsDir).href}/`;
  await writeFile(flakeFile, text.replaceAll(INPUT_URL_PLACEHOLDER, base));
}

export type InputChange =
  /** A change the hosts pick up: a new SSH key for alice, a new shell alias. */
  | { kind: 'update' }
  /** A mistake that still locks but fails the evaluation of every host using the input. */
  | { kind: 'break-evaluation' }
  | { kind: 'files'; files: Record<string, string>; message: string };

export interface InputCommit {
  input: ExampleInputName;
  rev: string;
  message: string;
}

interface Edit {
  file: string;
  edit: (text: string) => string;
  message: string;
}

const UPDATES: Record<ExampleInputName, (commit: number) => Edit> = {
  secrets: (commit) => ({
    file: 'authorized_keys/alice',
    edit: (text) =>
      `${text}ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(`alice phone key ${commit}`.padEnd(32, '.')).toString('base64')} alice@phone-${commit}\n`,
    message: `Add alice's key for phone-${commit}`,
  }),
  dotfiles: (commit) => ({
    file: 'shell/aliases.sh',
    edit: (text) => `${text}alias nb${commit}='nix build --print-build-logs'\n`,
    message: `Add the nb${commit} alias`,
  }),
};

const BREAKAGES: Record<ExampleInputName, Edit> = {
  // bob's key file was never committed: root's authorized keys cannot be read.
  secrets: {
    file: 'keys.nix',
    edit: (text) =>
      replaceOnce(
        text,
        'alice = readKeys ./authorized_keys/alice;',
        'alice = readKeys ./authorized_keys/alice;\n    bob = readKeys ./authorized_keys/bob;',
      ),
    message: 'Add bob as an admin',
  },
  // `email` is bound nowhere, which Nix reports as soon as the module is imported.
  dotfiles: {
    file: 'home.nix',
    edit: (text) => replaceOnce(text, 'userEmail = "alice@example.org";', 'userEmail = email;'),
    message: 'Take the git email from one place',
  },
};

function replaceOnce(text: string, find: string, replacement: string): string {
  if (!text.includes(find)) throw new Error(`the example input no longer contains ${JSON.stringify(find)}`);
  return text.replace(find, () => replacement);
}

/** Adds one commit to an input repository of a materialized example fleet. */
export async function advanceInput(
  fleet: ExampleFleet,
  inputName: ExampleInputName,
  change: InputChange = { kind: 'update' },
  options: Pick<ExampleFleetOptions, 'runner'> = {},
): Promise<InputCommit> {
  const runner = options.runner ?? new SpawnProcessRunner(new RecordingLogger());
  const dir = fleet.inputs[inputName].dir;
  let message: string;
  if (change.kind === 'files') {
    for (const [file, text] of Object.entries(change.files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), text);
    }
    message = change.message;
  } else {
    const edit =
      change.kind === 'update' ? UPDATES[inputName](await commitCount(runner, dir)) : BREAKAGES[inputName];
    const path = join(dir, edit.file);
    await writeFile(path, edit.edit(await readFile(path, 'utf8')));
    message = edit.message;
  }
  return { input: inputName, rev: await commitAll(runner, dir, message), message };
}

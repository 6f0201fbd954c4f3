import { resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { type ProcessResult, type ProcessRunner, type RunOptions, succeeded } from '../core/process.js';
import { NIX_NOT_FOUND, NixError } from './errors.js';
import { type NixVersion, parseNixVersion, updatesNamedInputs } from './version.js';

export interface NixCliOptions {
  /** Extra arguments for every nix command, e.g. `['--option', 'max-jobs', '4']` from an action input. */
  nixOptions?: readonly string[];
  /** The nix program; `nix` from PATH by default. */
  command?: string;
}

export type NixRunOptions = Pick<
  RunOptions,
  'cwd' | 'env' | 'group' | 'signal' | 'timeoutMs' | 'onLine' | 'onSpawn'
>;

/** An installable (`/fleet#nixosConfigurations.pi.config.system.build.toplevel`) or an expression. */
export type EvalTarget = string | { expr: string };

export interface EvalOptions extends NixRunOptions {
  /** A function applied to the value before it is printed, as `nix eval --apply`. */
  apply?: string;
  impure?: boolean;
}

export interface NixBuildOptions extends NixRunOptions {
  /** Build every derivation that can be built even when others fail (`--keep-going`). */
  keepGoing?: boolean;
}

export interface NixBuildResult {
  drvPath: string;
  /** Output name (`out`, …) to store path. */
  outputs: Record<string, string>;
}

/** One node of a flake.lock, as `nix flake metadata --json` reports it under `locks`. */
export interface FlakeLockNode {
  inputs?: Record<string, string | string[]>;
  locked?: { type: string; rev?: string; lastModified?: number; narHash?: string; url?: string };
  original?: { type: string; url?: string; ref?: string };
  flake?: boolean;
}

export interface FlakeLockFile {
  nodes: Record<string, FlakeLockNode>;
  root: string;
  version: number;
}

export interface FlakeMetadata {
  url: string;
  description?: string;
  /** The commit of a clean git flake; absent when the work tree is dirty. */
  revision?: string;
  lastModified?: number;
  path: string;
  locks: FlakeLockFile;
}

const FEATURES = ['--extra-experimental-features', 'nix-command flakes'];
const INPUT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_'-]*(\/[A-Za-z0-9_][A-Za-z0-9_'-]*)*$/;

/**
 * The one way flakeflow runs Nix. It works from Nix 2.8 to 2.31 (Determinate Nix and Lix too):
 * where the command line differs between versions it asks `version()` which to use.
 */
export class NixCli {
  private versionQuery: Promise<NixVersion> | undefined;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly options: NixCliOptions = {},
  ) {}

  version(): Promise<NixVersion> {
    this.versionQuery ??= this.exec(['--version']).then(
      (result) => parseNixVersion(result.stdout),
      (error: unknown) => {
        this.versionQuery = undefined;
        throw error;
      },
    );
    return this.versionQuery;
  }

  async evalJson<T = unknown>(target: EvalTarget, options: EvalOptions = {}): Promise<T> {
    const { apply, impure, ...run } = options;
    const result = await this.exec(
      this.withOptions(
        ['eval'],
        [
          '--json',
          ...(impure ? ['--impure'] : []),
          ...(apply === undefined ? [] : ['--apply', apply]),
          ...(typeof target === 'string' ? [target] : ['--expr', target.expr]),
        ],
      ),
      run,
    );
    return JSON.parse(result.stdout) as T;
  }

  /**
   * Builds without result symlinks; `--json` reports the store paths on every Nix since 2.4. The
   * results are not in the order of `installables`: match them by `drvPath`. Each derivation comes
   * once: when n installables name the same one, newer Nix (2.26 here) repeats it n² times
   * (NixOS/nix#9042), where 2.8 gave it n times.
   */
  async build(installables: readonly string[], options: NixBuildOptions = {}): Promise<NixBuildResult[]> {
    if (installables.length === 0) return [];
    const { keepGoing, ...run } = options;
    const result = await this.exec(
      this.withOptions(
        ['build'],
        ['--json', '--no-link', ...(keepGoing ? ['--keep-going'] : []), ...installables],
      ),
      run,
    );
    const built = new Map<string, NixBuildResult>();
    for (const { drvPath, outputs } of JSON.parse(result.stdout) as NixBuildResult[]) {
      built.set(drvPath, { drvPath, outputs });
    }
    return [...built.values()];
  }

  /** Writes a flake.lock for inputs that have none, leaving locked inputs as they are. */
  async lock(flakeDir: string, options: NixRunOptions = {}): Promise<void> {
    await this.exec(this.withOptions(['flake', 'lock'], [resolve(flakeDir)]), options);
  }

  /** Moves the named inputs (all of them when none are named) to their newest revisions. */
  async updateLock(
    flakeDir: string,
    inputs: readonly string[] = [],
    options: NixRunOptions = {},
  ): Promise<void> {
    for (const input of inputs) {
      if (!INPUT_NAME.test(input)) throw new UserError(`"${input}" is not a flake input name`);
    }
    const [subcommand, args] = updateLockArgs(await this.version(), resolve(flakeDir), inputs);
    await this.exec(this.withOptions(subcommand, args), options);
  }

  /** Fetches every input of the flake's lock into the store (`nix flake archive`), building nothing. */
  async archive(flakeDir: string, options: NixRunOptions = {}): Promise<void> {
    await this.exec(this.withOptions(['flake', 'archive'], ['--json', resolve(flakeDir)]), options);
  }

  async flakeMetadata(flakeDir: string, options: NixRunOptions = {}): Promise<FlakeMetadata> {
    const result = await this.exec(
      this.withOptions(['flake', 'metadata'], ['--json', resolve(flakeDir)]),
      options,
    );
    return JSON.parse(result.stdout) as FlakeMetadata;
  }

  private withOptions(subcommand: readonly string[], args: readonly string[]): string[] {
    return nixArgs(subcommand, this.options, args);
  }

  private exec(args: readonly string[], options: NixRunOptions = {}): Promise<ProcessResult> {
    return runNix(this.runner, this.options, args, options);
  }
}

/** A nix command line: the subcommand, the features flakeflow needs, the user's options, the arguments. */
export function nixArgs(
  subcommand: readonly string[],
  options: NixCliOptions,
  args: readonly string[],
): string[] {
  return [...subcommand, ...FEATURES, ...(options.nixOptions ?? []), ...args];
}

/**
 * Runs nix as flakeflow always does: as a `nix` child (it receives the run's Nix access:
 * child-environment.ts), a missing program is one line saying how to install Nix, and a failure
 * (unless `check` is false) is a NixError holding Nix's own message.
 */
export async function runNix(
  runner: ProcessRunner,
  options: NixCliOptions,
  args: readonly string[],
  runOptions: NixRunOptions = {},
  check = true,
): Promise<ProcessResult> {
  let result: ProcessResult;
  try {
    result = await runner.run(options.command ?? 'nix', args, { ...runOptions, role: 'nix' });
  } catch (error) {
    // The runner raises a UserError only when the program is missing.
    if (error instanceof UserError) throw new UserError(NIX_NOT_FOUND);
    throw error;
  }
  if (check && !succeeded(result)) throw NixError.fromResult(result);
  return result;
}

/** The subcommand and arguments that update a flake's lock on this Nix. */
export function updateLockArgs(
  version: NixVersion,
  flakeDir: string,
  inputs: readonly string[],
): [subcommand: string[], args: string[]] {
  if (updatesNamedInputs(version))
    return [
      ['flake', 'update'],
      [...inputs, '--flake', flakeDir],
    ];
  if (inputs.length === 0) return [['flake', 'update'], [flakeDir]];
  return [
    ['flake', 'lock'],
    [flakeDir, ...inputs.flatMap((input) => ['--update-input', input])],
  ];
}

/** `flake#a.b."alice@workstation"`: the attribute path quoted where Nix needs it. */
export function installable(flakeRef: string, attrPath: readonly string[]): string {
  const quoted = attrPath.map((name) =>
    /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) ? name : JSON.stringify(name),
  );
  return `${flakeRef}#${quoted.join('.')}`;
}

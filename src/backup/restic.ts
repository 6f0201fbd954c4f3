import { inheritedEnvironment } from '../core/child-environment.js';
import { UserError } from '../core/errors.js';
import type { ProcessResult, ProcessRunner } from '../core/process.js';
import {
  classifyResticFailure,
  joinSplitMessages,
  lockWaitMessage,
  parseJsonLines,
  parseResticJson,
  type ResticFailureKind,
  resticLines,
  resticMessage,
} from './restic-output.js';
import {
  parseResticVersion,
  type ResticFeatures,
  type ResticVersion,
  resticFeatures,
} from './restic-version.js';

/** How restic finds the password: never on its command line nor as a value in its environment. */
export type ResticPassword = { file: string } | { command: string };

/** Everything restic needs to open one repository. */
export interface ResticAccess {
  repository: string;
  password: ResticPassword;
  /** Backend credentials and other variables passed through (AWS_*, B2_*, RESTIC_REST_USERNAME…). */
  env: Record<string, string>;
  cacheDir?: string;
}

export interface ResticOptions {
  /** The program and its leading arguments, e.g. `['nix', 'run', 'nixpkgs#restic', '--']`. */
  command: readonly string[];
  /** Where PATH, HOME and the like come from: the step's environment. */
  baseEnv: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** A snapshot as `snapshots --json` lists it; empty values are omitted by restic. */
export interface Snapshot {
  id: string;
  short_id?: string;
  time: string;
  tree: string;
  paths: string[];
  hostname: string;
  username?: string;
  tags?: string[];
  program_version?: string;
}

export interface RepositoryConfig {
  version: number;
  id: string;
  chunker_polynomial?: string;
}

/** One group of `forget --dry-run --json`. */
export interface ForgetGroup {
  host?: string;
  tags?: string[] | null;
  paths?: string[] | null;
  keep?: Snapshot[] | null;
  remove?: Snapshot[] | null;
  reasons?: { snapshot: Snapshot; matches: string[] }[] | null;
}

/** A node of `ls --json`. */
export interface SnapshotNode {
  name: string;
  type: string;
  path: string;
  size?: number;
  mtime?: string;
}

/** A tree blob as `cat blob` prints it: each file's content is the list of its data blobs. */
export interface TreeBlob {
  nodes: {
    name: string;
    type: string;
    size?: number;
    mtime?: string;
    content?: string[] | null;
    subtree?: string;
  }[];
}

export interface IndexFile {
  packs: {
    id: string;
    blobs: { id: string; type: string; length: number; uncompressed_length?: number }[];
  }[];
}

export interface RetentionFilter {
  host?: string;
  tags?: readonly string[];
  paths?: readonly string[];
}

export interface CheckOutcome {
  ok: boolean;
  /** restic's error lines (or, from 0.18, its JSON error messages). */
  errors: string[];
}

export interface RestoreOutcome {
  ok: boolean;
  errors: string[];
}

/** A restic command that failed for a reason other than what it was checking. */
export class ResticError extends Error {
  constructor(
    readonly kind: ResticFailureKind,
    readonly subcommand: string,
    readonly resticText: string,
    readonly exitCode: number | null,
  ) {
    super(`restic ${subcommand} failed: ${resticText}`);
    this.name = 'ResticError';
  }
}

/** The run was cancelled (the runner's SIGINT/SIGTERM) while restic was working. */
export class VerificationCancelled extends Error {
  constructor() {
    super('cancelled before it finished');
    this.name = 'VerificationCancelled';
  }
}

const NOT_FOUND = (program: string) =>
  `restic-command '${program}' was not found on PATH: install restic (0.14 or later) before this step, ` +
  `or set restic-command, e.g. 'nix run nixpkgs#restic --'`;

export async function detectResticVersion(
  runner: ProcessRunner,
  options: ResticOptions,
): Promise<ResticVersion> {
  const [program, ...leading] = options.command;
  if (!program) throw new UserError("Input 'restic-command' must name a program");
  let result: ProcessResult;
  try {
    result = await runner.run(program, [...leading, 'version'], {
      cleanEnv: true,
      env: inheritedEnvironment(options.baseEnv),
      timeoutMs: 120_000,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof UserError) throw new UserError(NOT_FOUND(program));
    throw error;
  }
  if (options.signal?.aborted) throw new VerificationCancelled();
  if (result.exitCode !== 0) {
    throw new UserError(`restic-command '${options.command.join(' ')}' failed: ${resticMessage(result)}`);
  }
  return parseResticVersion(result.stdout);
}

/**
 * One repository through one restic. Read-only commands pass `--no-lock`, so verifying never waits
 * for (nor blocks) the backup timer; `check` alone locks, as restic requires.
 */
export class Restic {
  readonly features: ResticFeatures;

  constructor(
    private readonly runner: ProcessRunner,
    private readonly access: ResticAccess,
    private readonly options: ResticOptions,
    readonly version: ResticVersion,
  ) {
    this.features = resticFeatures(version);
  }

  async catConfig(): Promise<RepositoryConfig> {
    const result = await this.exec('cat', ['config', '--no-lock'], { timeoutMs: 300_000 });
    return parseResticJson<RepositoryConfig>(result.stdout, 'cat config');
  }

  async snapshots(): Promise<Snapshot[]> {
    const result = await this.exec('snapshots', ['--json', '--no-lock']);
    return parseResticJson<Snapshot[] | null>(result.stdout, 'snapshots') ?? [];
  }

  async forgetDryRun(keep: readonly string[], filter: RetentionFilter = {}): Promise<ForgetGroup[]> {
    const result = await this.exec('forget', [
      '--dry-run',
      '--json',
      '--no-lock',
      ...keep,
      ...filterArgs(filter),
    ]);
    // With filters that select no snapshot, restic prints nothing at all.
    if (result.stdout.trim() === '') return [];
    return parseResticJson<ForgetGroup[] | null>(result.stdout, 'forget') ?? [];
  }

  /** `readData`: undefined for structure only, `true` for every pack, or a `--read-data-subset` value. */
  async check(readData: true | string | undefined, lockWait: string | undefined): Promise<CheckOutcome> {
    const args = [
      ...(readData === true ? ['--read-data'] : readData ? [`--read-data-subset=${readData}`] : []),
      ...(this.features.checkJson ? ['--json'] : []),
      ...(lockWait && this.features.retryLock ? ['--retry-lock', lockWait] : []),
    ];
    const result = await this.exec('check', args, {
      allowFailure: true,
      ...(args.includes('--retry-lock') && lockWait ? { retryLock: lockWait } : {}),
    });
    if (result.exitCode === 0) return { ok: true, errors: [] };
    return { ok: false, errors: checkErrors(result) };
  }

  async ls(snapshotId: string): Promise<SnapshotNode[]> {
    const result = await this.exec('ls', ['--json', '--no-lock', snapshotId]);
    return parseJsonLines(result.stdout).filter(
      // 0.14 marks nodes with struct_type; later versions add message_type.
      (value): value is SnapshotNode => {
        const marked = value as { struct_type?: string; message_type?: string } | null;
        return marked?.struct_type === 'node' || marked?.message_type === 'node';
      },
    );
  }

  async tree(id: string): Promise<TreeBlob> {
    const result = await this.exec('cat', ['blob', id, '--no-lock']);
    return parseResticJson<TreeBlob>(result.stdout, 'cat blob');
  }

  async indexIds(): Promise<string[]> {
    const result = await this.exec('list', ['index', '--no-lock']);
    return result.stdout.split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line.trim()));
  }

  async index(id: string): Promise<IndexFile> {
    const result = await this.exec('cat', ['index', id, '--no-lock']);
    return parseResticJson<IndexFile>(result.stdout, 'cat index');
  }

  /** Restores `includes` of one snapshot, then has restic re-read every restored file (`--verify`). */
  async restore(snapshotId: string, target: string, includes: readonly string[]): Promise<RestoreOutcome> {
    const args = [
      snapshotId,
      '--no-lock',
      '--verify',
      '--target',
      target,
      ...includes.flatMap((p) => ['--include', p]),
    ];
    const result = await this.exec('restore', args, { allowFailure: true });
    if (result.exitCode === 0) return { ok: true, errors: [] };
    return { ok: false, errors: restoreErrors(result) };
  }

  /** `restic dump latest <file>` among the snapshots `filter` selects. */
  async dumpLatest(file: string, filter: RetentionFilter): Promise<string> {
    const result = await this.exec('dump', ['--no-lock', ...filterArgs(filter), 'latest', file]);
    return result.stdout;
  }

  private async exec(
    subcommand: string,
    args: readonly string[],
    options: { allowFailure?: boolean; timeoutMs?: number; retryLock?: string } = {},
  ): Promise<ProcessResult> {
    const [program, ...leading] = this.options.command;
    if (this.options.signal?.aborted) throw new VerificationCancelled();
    let result: ProcessResult;
    try {
      result = await this.runner.run(program as string, [...leading, subcommand, ...args], {
        cleanEnv: true,
        env: this.environment(),
        signal: this.options.signal,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof UserError) throw new UserError(NOT_FOUND(program as string));
      throw error;
    }
    if (this.options.signal?.aborted) throw new VerificationCancelled();
    if (result.exitCode === 0 && !result.timedOut) return result;
    const kind = classifyResticFailure(result, this.version);
    if (options.allowFailure && kind === 'failed') return result;
    const message = resticMessage(result);
    const told =
      kind === 'locked' && options.retryLock
        ? lockWaitMessage(message, result.durationMs, options.retryLock)
        : message;
    throw new ResticError(kind, subcommand, told, result.exitCode);
  }

  private environment(): Record<string, string> {
    const { password } = this.access;
    return {
      ...inheritedEnvironment(this.options.baseEnv),
      ...this.access.env,
      RESTIC_REPOSITORY: this.access.repository,
      ...('file' in password ? { RESTIC_PASSWORD_FILE: password.file } : {}),
      ...('command' in password ? { RESTIC_PASSWORD_COMMAND: password.command } : {}),
      ...(this.access.cacheDir ? { RESTIC_CACHE_DIR: this.access.cacheDir } : {}),
    };
  }
}

function filterArgs(filter: RetentionFilter): string[] {
  return [
    ...(filter.host ? ['--host', filter.host] : []),
    ...(filter.tags && filter.tags.length > 0 ? ['--tag', filter.tags.join(',')] : []),
    ...(filter.paths ?? []).flatMap((path) => ['--path', path]),
  ];
}

/** What a failed `check` found: JSON messages on 0.18+, error lines of both streams before that. */
function checkErrors(result: ProcessResult): string[] {
  const errors: string[] = [];
  for (const value of [...parseJsonLines(result.stdout), ...parseJsonLines(result.stderr)]) {
    const message = value as { message_type?: string; message?: string };
    if (message.message_type === 'error' && message.message) errors.push(message.message);
  }
  if (errors.length > 0) return joinSplitMessages(errors).slice(0, 20);
  const lines = resticLines(`${result.stdout}\n${result.stderr}`).filter(
    (line) => !/^(?:Fatal: repository contains errors|The repository contains errors)/.test(line),
  );
  return (lines.length > 0 ? lines : [resticMessage(result)]).slice(0, 20);
}

function restoreErrors(result: ProcessResult): string[] {
  const lines = resticLines(result.stderr).map((line) => line.replace(/^ignoring error for /, ''));
  return lines.length > 0 ? lines.slice(0, 20) : [resticMessage(result)];
}

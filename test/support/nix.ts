import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringifyError } from '../../src/core/errors.js';
import { RecordingLogger } from '../../src/core/logger.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../src/core/process.js';
import { SpawnProcessRunner, succeeded } from '../../src/core/process.js';
import { NixCli } from '../../src/nix/cli.js';

export interface RealNix {
  nix: NixCli;
  runner: SpawnProcessRunner;
  logger: RecordingLogger;
}

/**
 * The real nix (and git) for tests that run them. Without them the test fails, naming the fix:
 * these tests are never skipped and never install anything themselves.
 */
export async function requireNix(): Promise<RealNix> {
  const logger = new RecordingLogger();
  const runner = new SpawnProcessRunner(logger);
  const nix = new NixCli(runner);
  try {
    await nix.version();
    const git = await runner.run('git', ['--version']);
    if (!succeeded(git)) throw new Error(`git --version: ${git.stderr}`);
  } catch (error) {
    throw new Error(
      `These tests run the real nix and git, which are missing here (${stringifyError(error)}). ` +
        'Run scripts/setup to install them; the tests are never skipped.',
    );
  }
  return { nix, runner, logger };
}

export function makeTempDir(purpose: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `flakeflow-${purpose}-`));
}

export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export interface FakeReply {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/** A ProcessRunner that records every argv and answers as `reply` says, for argv-level tests. */
export class FakeNixRunner implements ProcessRunner {
  readonly calls: { command: string; args: readonly string[]; options: RunOptions }[] = [];

  constructor(
    private readonly versionLine: string,
    private readonly reply: (args: readonly string[]) => FakeReply = () => ({}),
  ) {}

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    this.calls.push({ command, args, options });
    const answer = args[0] === '--version' ? { stdout: `${this.versionLine}\n` } : this.reply(args);
    return {
      command,
      args,
      exitCode: answer.exitCode ?? 0,
      signal: null,
      stdout: answer.stdout ?? '',
      stderr: answer.stderr ?? '',
      timedOut: false,
      durationMs: 1,
    };
  }

  /** The argv of every call but `nix --version`. */
  get commands(): (readonly string[])[] {
    return this.calls.filter((call) => call.args[0] !== '--version').map((call) => call.args);
  }
}

import { spawn } from 'node:child_process';
import { type ChildRole, childEnvironment, type RoleEnvironments } from './child-environment.js';
import { UserError } from './errors.js';
import type { Logger } from './logger.js';
import { SecretMasker } from './logger.js';

export interface RunOptions {
  cwd?: string;
  /**
   * Variables this one call needs, added to (or, when undefined, removed from) what every child
   * inherits: only the step's variables child-environment.ts lets pass, never an input or a token.
   */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of the inherited variables. */
  cleanEnv?: boolean;
  /** What the child is, for the variables only that kind of child receives (child-environment.ts). */
  role?: ChildRole;
  input?: string;
  timeoutMs?: number;
  /** Fold the streamed output under this heading; without it output is only streamed at debug level. */
  group?: string;
  /** Stream each output line to the log as it arrives (default true when `group` is set). */
  stream?: boolean;
  signal?: AbortSignal;
  /** Called with each complete output line as it arrives, whether or not it is streamed to the log. */
  onLine?: (line: string, from: 'stdout' | 'stderr') => void;
  /**
   * Finish when the program exits, then end its process group: a child it left behind holding the
   * output pipes (deploy-rs's `activate-rs wait`) must not keep the run going.
   */
  endGroupOnExit?: boolean;
  /** Called with the process id once the program started, e.g. to watch its memory in /proc. */
  onSpawn?: (pid: number) => void;
}

export interface ProcessResult {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs programs with argument arrays, never through a shell. */
export interface ProcessRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult>;
}

export function succeeded(result: ProcessResult): boolean {
  return result.exitCode === 0 && !result.timedOut;
}

/** A short, secret-free description of how a process ended, for error messages. */
export function describeExit(result: ProcessResult): string {
  if (result.timedOut) return `timed out after ${Math.round(result.durationMs / 1000)}s`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

const KILL_GRACE_MS = 5_000;

/**
 * The real runner. Output is captured whole and streamed line by line to the logger, with every
 * registered secret masked. A timeout sends SIGTERM to the process group, then SIGKILL.
 */
export class SpawnProcessRunner implements ProcessRunner {
  constructor(
    private readonly logger: Logger,
    private readonly secrets: SecretMasker = new SecretMasker(),
    /** The step's environment, which children inherit only a few variables of. */
    private readonly stepEnvironment: Readonly<Record<string, string | undefined>> = process.env,
    /** The variables a run gives to one kind of child only, e.g. the Nix access to Nix processes. */
    private readonly roles: RoleEnvironments = {},
  ) {}

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    const stream = options.stream ?? options.group !== undefined;
    const execute = () => this.spawnAndCollect(command, args, options, stream);
    return options.group ? this.logger.group(options.group, execute) : execute();
  }

  private spawnAndCollect(
    command: string,
    args: readonly string[],
    options: RunOptions,
    stream: boolean,
  ): Promise<ProcessResult> {
    const started = Date.now();
    const env = childEnvironment(this.stepEnvironment, options, this.roles);
    this.logger.debug(`$ ${[command, ...args].map((word) => this.secrets.redact(word)).join(' ')}`);

    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const lineBuffers = { stdout: '', stderr: '' };
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;

      const emit = (which: 'stdout' | 'stderr', chunk: Buffer, flush = false) => {
        if (!stream && !options.onLine) return;
        const text = lineBuffers[which] + chunk.toString('utf8');
        const lines = text.split('\n');
        lineBuffers[which] = flush ? '' : (lines.pop() ?? '');
        for (const line of flush ? lines.filter((l) => l.length > 0) : lines) {
          options.onLine?.(line, which);
          if (stream) this.logger.info(this.secrets.redact(line));
        }
      };

      const terminate = () => {
        if (child.pid === undefined || child.exitCode !== null) return;
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        killTimer = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, KILL_GRACE_MS);
        killTimer.unref();
      };

      const timeout =
        options.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              terminate();
            }, options.timeoutMs)
          : undefined;
      const onAbort = () => terminate();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        emit('stdout', chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        emit('stderr', chunk);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (timeout) clearTimeout(timeout);
        options.signal?.removeEventListener('abort', onAbort);
        if (error.code === 'ENOENT') {
          reject(new UserError(`${command} was not found on PATH; install it or put it on PATH`));
        } else {
          reject(error);
        }
      });
      if (options.endGroupOnExit) {
        child.on('exit', () => {
          const group = child.pid;
          if (group === undefined) return;
          const kill = (signal: NodeJS.Signals) => {
            try {
              process.kill(-group, signal);
            } catch {
              // The group is already gone.
            }
          };
          kill('SIGTERM');
          setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
        });
      }
      child.on('close', (exitCode, signal) => {
        if (timeout) clearTimeout(timeout);
        if (killTimer) clearTimeout(killTimer);
        options.signal?.removeEventListener('abort', onAbort);
        emit('stdout', Buffer.alloc(0), true);
        emit('stderr', Buffer.alloc(0), true);
        resolve({
          command,
          args,
          exitCode,
          signal,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          timedOut,
          durationMs: Date.now() - started,
        });
      });
      child.stdin.on('error', () => {
        // A program that exits without reading its input closes the pipe early: not our failure.
      });
      child.stdin.end(options.input ?? '');
    });
  }
}

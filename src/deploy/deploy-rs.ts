import { UserError } from '../core/errors.js';
import type { ProcessResult, ProcessRunner } from '../core/process.js';
import { installable } from '../nix/cli.js';
import { DeployLog, type DeployPhase } from './deploy-rs-log.js';

/** deploy-rs's defaults, for bounding a run when the inputs leave them unset. */
export const DEFAULT_ACTIVATION_TIMEOUT_S = 240;
export const DEFAULT_CONFIRM_TIMEOUT_S = 30;

/** The deploy-rs flags one node's run gets; each mirrors an input. */
export interface DeployRsFlags {
  skipChecks: boolean;
  dryActivate: boolean;
  boot: boolean;
  magicRollback: boolean;
  autoRollback: boolean;
  confirmTimeout?: number;
  activationTimeout?: number;
  remoteBuild: boolean;
  /** false: `--fast-connection true`, every path pushed from the runner (true leaves the flake's setting). */
  substituteOnNodes: boolean;
  sshUser?: string;
}

/**
 * `deploy --targets .#node …` for one node. Rollback flags are only passed when turned off, so a
 * node's own `magicRollback`/`autoRollback` in the flake still applies when the input keeps the default.
 * `--ssh-opts` replaces every sshOpts of the flake, so `sshOpts` must already hold the node's own.
 */
export function deployRsArgs(node: string, flags: DeployRsFlags, sshOpts: readonly string[]): string[] {
  const spaced = sshOpts.find((option) => /\s/.test(option));
  if (spaced !== undefined) {
    throw new UserError(
      `SSH option '${spaced}' contains a space, which deploy-rs cannot pass on: it splits --ssh-opts on spaces`,
    );
  }
  return [
    '--targets',
    installable('.', [node]),
    ...(flags.skipChecks ? ['--skip-checks'] : []),
    ...(flags.dryActivate ? ['--dry-activate', '--rollback-succeeded', 'false'] : []),
    ...(flags.boot ? ['--boot'] : []),
    ...(flags.magicRollback ? [] : ['--magic-rollback', 'false']),
    ...(flags.autoRollback ? [] : ['--auto-rollback', 'false']),
    ...(flags.confirmTimeout === undefined ? [] : ['--confirm-timeout', String(flags.confirmTimeout)]),
    ...(flags.activationTimeout === undefined
      ? []
      : ['--activation-timeout', String(flags.activationTimeout)]),
    ...(flags.remoteBuild ? ['--remote-build'] : []),
    ...(flags.substituteOnNodes ? [] : ['--fast-connection', 'true']),
    ...(flags.sshUser === undefined ? [] : ['--ssh-user', flags.sshUser]),
    // The `=` form: clap refuses a separate value that starts with '-'.
    ...(sshOpts.length > 0 ? [`--ssh-opts=${sshOpts.join(' ')}`] : []),
  ];
}

/**
 * How long a run may go on once activation started: the activation, the confirmation window, and a
 * margin for the SSH round trips. Building and copying before it are not bounded here: a large
 * closure legitimately takes long, and the job's own timeout covers a stuck build.
 */
export function activationBoundMs(flags: DeployRsFlags, marginMs: number): number {
  const activation = (flags.activationTimeout ?? DEFAULT_ACTIVATION_TIMEOUT_S) * 1000;
  const confirmation = flags.magicRollback ? (flags.confirmTimeout ?? DEFAULT_CONFIRM_TIMEOUT_S) * 1000 : 0;
  return activation + confirmation + marginMs;
}

export interface DeployRsRun {
  result: ProcessResult;
  log: DeployLog;
  /** Set when the run outlived its activation bound and was stopped. */
  hungAfterMs?: number;
}

export interface DeployRsRunOptions {
  /** The deploy-rs command and its leading arguments, e.g. `nix run .#deploy-rs --`. */
  command: readonly string[];
  args: readonly string[];
  flakeDir: string;
  boundMs: number;
  onPhase?: (phase: DeployPhase) => void;
}

/**
 * Runs deploy-rs once, reading its log as it prints. A run still going `boundMs` after activation
 * started is stopped (SIGTERM, then SIGKILL): the host's magic rollback undoes an unconfirmed switch.
 */
export async function runDeployRs(runner: ProcessRunner, options: DeployRsRunOptions): Promise<DeployRsRun> {
  const [program, ...leading] = options.command;
  if (program === undefined) throw new UserError("Input 'deploy-command' must name a program, got nothing");
  const log = new DeployLog();
  const watchdog = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let armedAt: number | undefined;
  let hungAfterMs: number | undefined;
  const arm = () => {
    if (armedAt !== undefined) return;
    armedAt = Date.now();
    timer = setTimeout(() => {
      hungAfterMs = Date.now() - (armedAt as number);
      watchdog.abort();
    }, options.boundMs);
  };
  try {
    const result = await runner.run(program, [...leading, ...options.args], {
      cwd: options.flakeDir,
      signal: watchdog.signal,
      // deploy-rs exits ~1.5 s after a failed activation but leaves `activate-rs wait` holding its
      // output open until the activation timeout: the run ends at deploy-rs's exit.
      endGroupOnExit: true,
      onLine: (line) => {
        const phase = log.feed(line);
        if (log.activationStarted) arm();
        if (phase) options.onPhase?.(phase);
      },
    });
    return { result, log, ...(hungAfterMs === undefined ? {} : { hungAfterMs }) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

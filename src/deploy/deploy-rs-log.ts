/**
 * Reads deploy-rs's stderr, which is its only report: `<emoji> <level> [deploy|activate|wait|revoke]
 * [LEVEL] message` lines mixed with raw `switch-to-configuration` output. One deploy-rs process
 * deploys one node here, so messages that omit the node name (deploy-rs#273) are never ambiguous.
 */
import { stripAnsi } from '../core/ansi.js';

export type LogSource = 'deploy' | 'activate' | 'wait' | 'revoke';
export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

export interface DeployLogLine {
  source: LogSource;
  level: LogLevel;
  message: string;
}

/** Where a node's deployment got to, in the order deploy-rs goes. */
export type DeployPhase = 'checking' | 'evaluating' | 'building' | 'copying' | 'activating' | 'confirming';

const LINE = /^\S+\s+\S+\s+\[(deploy|activate|wait|revoke)\]\s+\[(ERROR|WARN|INFO|DEBUG|TRACE)\]\s?(.*)$/;

/** A deploy-rs log line, or undefined for raw output (activation scripts, nix, the TOML plan). */
export function parseLogLine(raw: string): DeployLogLine | undefined {
  const match = LINE.exec(stripAnsi(raw).trim());
  if (!match) return undefined;
  return { source: match[1] as LogSource, level: match[2] as LogLevel, message: (match[3] ?? '').trim() };
}

const PHASE_MESSAGES: readonly [RegExp, DeployPhase][] = [
  [/^Running checks for flake/, 'checking'],
  [/^Evaluating flake/, 'evaluating'],
  [/^Building profile/, 'building'],
  [/^Copying profile/, 'copying'],
  [/^Activating profile/, 'activating'],
  [/^Creating activation waiter/, 'activating'],
  [/^Success activating, attempting to confirm/, 'confirming'],
];

/** How deploy-rs ended a successful run, by the message it prints last. */
const SUCCESS_MESSAGES = {
  confirmed: /^Deployment confirmed\.$/,
  activated: /^Success activating, done!$/,
  boot: /^Success activating for next boot, done!$/,
  dryActivated: /^Completed dry-activate!$/,
};

/** What the host itself did to undo the activation: real evidence of a rollback. */
const ROLLBACK_EVIDENCE = [
  /^De-activating due to error/,
  /^Removing generation by ID/,
  /^Attempting to re-activate/,
];
/** activate-rs's own report that the activation script failed: `… bad exit code: Some(1)`. */
const ACTIVATION_SCRIPT_FAILED = /^The activation script resulted in a bad exit code: (?:Some\()?(-?\d+)\)?/;
/** The host gave up waiting for deploy-rs's confirmation and rolled back. */
const CONFIRMATION_TIMEOUT = /^Failed to get activation confirmation: .*Timeout elapsed for confirmation/;
/** deploy-rs lost the activation's result: after a late `Deployment confirmed.` it means failure. */
const LOST_RESULT = /RecvError/;
/** The raw ssh lines deploy-rs hides behind `Failed to push profile to node X: X`. */
const SSH_PROBLEM = [
  /^ssh: .+/,
  /^Host key verification failed\.$/,
  /REMOTE HOST IDENTIFICATION HAS CHANGED/,
  /^No (?:ED25519|RSA|ECDSA)? ?host key is known for .+/,
  /^.+: Permission denied \(.+\)\.$/,
];

/** What one deploy-rs run said, gathered line by line as it prints. */
export class DeployLog {
  phase: DeployPhase | undefined;
  /** Set once activation started: from here on, activation-timeout bounds the run. */
  activationStarted = false;
  success: keyof typeof SUCCESS_MESSAGES | undefined;
  rolledBack = false;
  confirmationTimedOut = false;
  /** The activation script's exit code, when activate-rs reported it failed. */
  activationExitCode: number | undefined;
  /** deploy-rs printed `Deployment confirmed.` and then lost the activation's result (RecvError). */
  confirmedThenLost = false;
  /** The first raw ssh complaint (connection refused, host key mismatch, …). */
  sshProblem: string | undefined;
  readonly errors: string[] = [];

  /** Feeds one raw line; returns the new phase when the line moved the deployment on. */
  feed(raw: string): DeployPhase | undefined {
    const line = parseLogLine(raw);
    if (!line) {
      const text = stripAnsi(raw).trim();
      if (this.sshProblem === undefined && SSH_PROBLEM.some((pattern) => pattern.test(text)))
        this.sshProblem = text;
      return undefined;
    }
    if (line.source !== 'deploy') this.activationStarted = true;
    // The `[wait]` waiter deploy-rs leaves behind reports its own timeout long after the run ended:
    // never the cause of anything.
    if (line.source === 'wait') return undefined;
    if (line.level === 'ERROR') this.errors.push(line.message);
    const scriptFailed = ACTIVATION_SCRIPT_FAILED.exec(line.message);
    if (scriptFailed && line.source === 'activate') this.activationExitCode = Number(scriptFailed[1]);
    if (CONFIRMATION_TIMEOUT.test(line.message)) this.confirmationTimedOut = true;
    if (line.level === 'ERROR' && LOST_RESULT.test(line.message) && this.success === 'confirmed')
      this.confirmedThenLost = true;
    if (line.source === 'activate' && ROLLBACK_EVIDENCE.some((pattern) => pattern.test(line.message)))
      this.rolledBack = true;
    for (const [outcome, pattern] of Object.entries(SUCCESS_MESSAGES)) {
      if (pattern.test(line.message)) this.success = outcome as keyof typeof SUCCESS_MESSAGES;
    }
    if (line.source !== 'deploy') return undefined;
    const phase = PHASE_MESSAGES.find(([pattern]) => pattern.test(line.message))?.[1];
    if (phase === 'activating' || phase === 'confirming') this.activationStarted = true;
    if (phase === undefined || phase === this.phase) return undefined;
    this.phase = phase;
    return phase;
  }

  /** The last error deploy-rs printed that says more than "rolled back" (printed even when nothing was, #241). */
  get lastError(): string | undefined {
    const telling = this.errors.filter((error) => !/failed, rolled back to previous generation$/.test(error));
    return telling.at(-1) ?? this.errors.at(-1);
  }
}

export type NodeDeployStatus = 'deployed' | 'dry-activated' | 'failed' | 'rolled-back';

export interface DeployVerdict {
  status: NodeDeployStatus;
  message: string;
}

export interface DeployRunFacts {
  exitCode: number | null;
  /** Set when flakeflow stopped a run that outlived its activation bound. */
  hungAfterMs?: number;
  dryActivate: boolean;
}

/** A dry run proves less than it seems: deploy-rs hides a failing dry activation script (exit 0). */
export const DRY_RUN_PROVES =
  'dry activation: built and copied to the node, and deploy-rs reported `Completed dry-activate!`; ' +
  'it says that even when the dry activation script fails, so whether this configuration activates ' +
  'was not proven, and nothing was switched';

/**
 * Judges one node's run by its log first and its exit code second, taking the evidence in order:
 * the activation script's own exit code, then the host's confirmation timeout, then a confirmation
 * deploy-rs reported and lost; deploy-rs can exit 0 after the host rolled itself back (#214).
 */
export function judgeDeployRun(log: DeployLog, facts: DeployRunFacts): DeployVerdict {
  const exitNote = facts.exitCode === 0 ? ' (deploy-rs exited 0 nonetheless)' : '';
  const rolledBack = log.rolledBack ? '; rolled back' : '; nothing was rolled back';
  if (log.activationExitCode !== undefined) {
    return {
      status: log.rolledBack ? 'rolled-back' : 'failed',
      message: `the activation script failed (exit ${log.activationExitCode})${rolledBack}${exitNote}`,
    };
  }
  if (log.confirmationTimedOut) {
    const late = log.confirmedThenLost ? ' (deploy-rs confirmed too late)' : '';
    return {
      status: 'rolled-back',
      message: `confirmation timed out${late}: the node rolled back to its previous generation${exitNote}`,
    };
  }
  if (log.confirmedThenLost) {
    return {
      status: log.rolledBack ? 'rolled-back' : 'failed',
      message: `deploy-rs printed "Deployment confirmed." and then lost the activation's result (RecvError)${rolledBack}`,
    };
  }
  if (facts.hungAfterMs !== undefined) {
    return {
      status: 'failed',
      message:
        `timeout: no result ${Math.round(facts.hungAfterMs / 1000)} s after activation started, so flakeflow ` +
        'stopped deploy-rs; without a confirmation, magic rollback returns the node to its previous generation',
    };
  }
  if (log.rolledBack) {
    const cause = log.lastError ? `: ${log.lastError}` : '';
    return { status: 'rolled-back', message: `activation failed, the node rolled back${cause}${exitNote}` };
  }
  if (facts.exitCode !== 0) {
    const where = log.phase ? ` while ${log.phase}` : '';
    const how = facts.exitCode === null ? 'was killed' : `exited with code ${facts.exitCode}`;
    // `Failed to push profile to node X: X`: the reason is in the raw ssh lines before it.
    const cause = log.sshProblem ?? log.lastError;
    return { status: 'failed', message: `deploy-rs ${how}${where}${cause ? `: ${cause}` : ''}` };
  }
  if (log.errors.length > 0) {
    return { status: 'failed', message: `deploy-rs reported an error${exitNote}: ${log.lastError}` };
  }
  if (log.success === undefined || (facts.dryActivate && log.success !== 'dryActivated')) {
    return { status: 'failed', message: 'deploy-rs exited 0 but never reported a successful activation' };
  }
  const done: Record<typeof log.success, DeployVerdict> = {
    confirmed: { status: 'deployed', message: 'activated and confirmed' },
    activated: { status: 'deployed', message: 'activated (magic rollback off: not confirmed)' },
    boot: { status: 'deployed', message: 'installed as the boot default; active after the next reboot' },
    dryActivated: { status: 'dry-activated', message: DRY_RUN_PROVES },
  };
  return done[log.success];
}

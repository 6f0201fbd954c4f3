import { oneLine } from '../core/errors.js';
import { formatDuration } from '../core/markdown.js';
import type { ProcessResult } from '../core/process.js';
import { type ResticVersion, resticFeatures } from './restic-version.js';

/** Why a restic command failed, told apart the same way on 0.14 (stderr text) and 0.17+ (exit codes). */
export type ResticFailureKind = 'wrong-password' | 'missing-repository' | 'locked' | 'unreachable' | 'failed';

const WRONG_PASSWORD = [
  /wrong password or no key found/i,
  /Resolving password failed/i,
  /an empty password is not (?:a password|allowed)/i,
  /reading password from stdin/i,
];
const MISSING_REPOSITORY = [
  /Is there a repository at the following location\?/i,
  /repository does not exist/i,
  /unable to open config file/i,
];
const LOCKED = [/repository is already locked/i, /unable to create lock in backend/i, /failed to lock/i];
const UNREACHABLE = [
  /dial tcp/i,
  /connection refused/i,
  /no such host/i,
  /network is unreachable/i,
  /i\/o timeout/i,
  /ssh: (?:connect|Could not resolve)/i,
  /subprocess ssh/i,
  /unable to start the sftp session/i,
  /Client\.Timeout/i,
  /TLS handshake/i,
  /unable to open repository/i,
  /server response unexpected/i,
  /Access ?Denied|InvalidAccessKeyId|SignatureDoesNotMatch/i,
];

/** Lines restic prints while working, which say nothing about why it failed. */
const PROGRESS = [
  /^\[\d+:\d+(?::\d+)?\]/,
  /^using temporary cache in /,
  /^create(?: exclusive)? lock for repository/,
  /^repository [0-9a-f]+ opened/,
  /^(?:load indexes|check all packs|check snapshots, trees and blobs|read all data|read group #|read \d+\/\d+ )/,
  /^(?:restoring <Snapshot|verifying files in|finished verifying)/,
  /^(?:no errors were found|created restic repository|\d+ additional files were found|duration: )/,
  /^found \d+ old cache directories/,
];

/** restic's own lines of `text`: trimmed, without blank, JSON and progress lines. */
export function resticLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) => line.length > 0 && !line.startsWith('{') && !PROGRESS.some((pattern) => pattern.test(line)),
    );
}

/** restic 0.18+ with `--json` writes `{"message_type":"exit_error","code":N,"message":…}` to stderr. */
interface ExitError {
  code: number;
  message: string;
}

function exitError(stderr: string): ExitError | undefined {
  for (const line of stderr.split('\n').reverse()) {
    const text = line.trim();
    if (!text.startsWith('{') || !text.includes('exit_error')) continue;
    try {
      const parsed = JSON.parse(text) as { message_type?: string; code?: number; message?: string };
      if (parsed.message_type === 'exit_error' && typeof parsed.code === 'number') {
        return { code: parsed.code, message: parsed.message ?? '' };
      }
    } catch {
      // Not JSON after all: the text patterns below still apply.
    }
  }
  return undefined;
}

/**
 * restic's own reason, without progress lines: from the first `Fatal:` line on when there is one,
 * otherwise the last few lines of stderr (0.14 prints a lock conflict without `Fatal:`).
 */
export function resticMessage(result: Pick<ProcessResult, 'stderr' | 'stdout' | 'exitCode'>): string {
  const fromJson = exitError(result.stderr);
  if (fromJson?.message) return oneLine(fromJson.message);
  const lines = resticLines(result.stderr);
  const fatal = lines.findIndex((line) => line.startsWith('Fatal: '));
  const chosen = fatal >= 0 ? lines.slice(fatal, fatal + 4) : lines.slice(-4);
  const text = oneLine(chosen.map((line) => line.replace(/^Fatal: /, '')).join('\n'));
  return text || `restic exited with code ${result.exitCode} without a message`;
}

export function classifyResticFailure(
  result: Pick<ProcessResult, 'stderr' | 'exitCode' | 'timedOut'>,
  version?: ResticVersion,
): ResticFailureKind {
  if (result.timedOut) return 'unreachable';
  const code = exitError(result.stderr)?.code ?? result.exitCode;
  const codes = version ? resticFeatures(version) : { repositoryExitCodes: true, passwordExitCode: true };
  if (code === 10 && codes.repositoryExitCodes) return 'missing-repository';
  if (code === 11 && codes.repositoryExitCodes) return 'locked';
  if (code === 12 && codes.passwordExitCode) return 'wrong-password';
  const text = result.stderr;
  if (WRONG_PASSWORD.some((pattern) => pattern.test(text))) return 'wrong-password';
  if (MISSING_REPOSITORY.some((pattern) => pattern.test(text))) return 'missing-repository';
  if (LOCKED.some((pattern) => pattern.test(text))) return 'locked';
  if (UNREACHABLE.some((pattern) => pattern.test(text))) return 'unreachable';
  return 'failed';
}

/**
 * The JSON document restic printed. 0.19.0 writes a progress line before the JSON of some commands
 * (fixed in 0.19.1), so when the whole output does not parse, the last line that does is taken.
 */
export function parseResticJson<T>(stdout: string, what: string): T {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    for (const line of text.split('\n').reverse()) {
      const candidate = line.trim();
      if (!candidate.startsWith('[') && !candidate.startsWith('{')) continue;
      try {
        return JSON.parse(candidate) as T;
      } catch {
        // Keep looking further up.
      }
    }
  }
  throw new Error(`restic ${what} printed no JSON: ${oneLine(text).slice(0, 200)}`);
}

/** One JSON value per line (`ls --json`, `check --json` on 0.18+); other lines are skipped. */
export function parseJsonLines(stdout: string): unknown[] {
  const values: unknown[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{') && !text.startsWith('[')) continue;
    try {
      values.push(JSON.parse(text));
    } catch {
      // A progress line or a truncated write: nothing to read from it.
    }
  }
  return values;
}

/**
 * restic's error messages as sentences. 0.18 splits one error over two JSON messages
 * (`error for tree a63fc1df:` then `  decrypting blob …`): a message ending in a colon and the
 * indented one after it are one error, joined with a space.
 */
export function joinSplitMessages(messages: readonly string[]): string[] {
  const joined: string[] = [];
  let open = false;
  for (const raw of messages) {
    const text = raw.trim();
    if (text === '') continue;
    const continues = open && /^\s/.test(raw);
    if (continues) joined[joined.length - 1] = `${joined[joined.length - 1]} ${text}`;
    else joined.push(text);
    open = text.endsWith(':');
  }
  return joined;
}

/** Who holds a lock, from restic's `repository is already locked …` text (0.14 and 0.18 alike). */
export function lockHolder(message: string): string | undefined {
  const holder = message.match(/already locked (exclusively )?by (PID \d+ on \S+ by \S+)/);
  if (!holder) return undefined;
  const created = message.match(/lock was created at ([0-9-]+ [0-9:]+)/)?.[1];
  const storage = message.match(/storage ID ([0-9a-f]+)/)?.[1];
  const details = [created && `created ${created}`, storage && `storage ID ${storage}`].filter(Boolean);
  return `the ${holder[1] ? 'exclusive ' : ''}lock of ${holder[2]}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/**
 * A lock `check --retry-lock` could not get. restic 0.18 waits the whole time even for a lock whose
 * process is dead, so the report says how long it waited and for which lock.
 */
export function lockWaitMessage(message: string, waitedMs: number, retryLock: string): string {
  const lock = lockHolder(message) ?? 'a lock held by another restic';
  return (
    `waited ${formatDuration(waitedMs)} (--retry-lock ${retryLock}) for ${lock}; if that process is gone, ` +
    `remove the stale lock with \`restic unlock\`. restic: ${message}`
  );
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapConcurrently } from '../core/concurrency.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type ProcessRunner, succeeded } from '../core/process.js';
import { type NixCliOptions, nixArgs, runNix } from './cli.js';
import { nixErrorText } from './errors.js';
import { FlakeLock, type InputPath, type SourceAttrs, sourceLabel } from './lock-file.js';

/** One input Nix could not fetch: its path from the root, where from (no credentials), and why. */
export interface InputFetchFailure {
  input: InputPath;
  url: string;
  reason: string;
}

/**
 * Nix's texts for a source it could not fetch, on 2.8 (`program 'git' failed`, the lines of git and
 * ssh before it) and on 2.26 (which blames a missing revision or ref when git could not connect).
 */
const FETCH_FAILURE =
  /program 'git' failed|Cannot find Git revision|resolving Git reference|while fetching the input|unable to download|Permission denied \(publickey|Host key verification failed|Could not read from remote repository|does not appear to be a git repository/;

export function looksLikeFetchFailure(text: string): boolean {
  return FETCH_FAILURE.test(text);
}

/** `ssh://user:secret@host/x?access_token=y` → `ssh://user@host/x`: a URL as it may be shown. */
export function withoutCredentials(url: string): string {
  return url
    .replace(/(\/\/[^/@:\s]+):[^/@\s]*@/g, '$1@')
    .replace(/([?&])(access_token|private_token|token)=[^&\s']*/gi, '$1$2=***');
}

const REASONS: { pattern: RegExp; hint?: (context: ReasonContext) => string }[] = [
  {
    pattern: /No \S+ host key is known for \S+/,
    hint: () => "its host key is not in 'inputs-known-hosts' (add the line `ssh-keyscan <host>` prints)",
  },
  {
    pattern: /Host key for \S+ has changed/,
    hint: () => "the host's key is not the one 'inputs-known-hosts' pins",
  },
  {
    pattern: /Host key verification failed/,
    hint: ({ sshKeyGiven }) =>
      sshKeyGiven
        ? "the host's key could not be checked against 'inputs-known-hosts'"
        : "the host is unknown here: set 'inputs-ssh-key', and 'inputs-known-hosts' for a host other than github.com, gitlab.com or codeberg.org",
  },
  {
    pattern: /\S+: Permission denied \(publickey[^)]*\)/,
    hint: ({ sshKeyGiven }) =>
      sshKeyGiven
        ? "the key of 'inputs-ssh-key' was refused: add its public key as a deploy key of the repository"
        : "no key was given: set 'inputs-ssh-key' to a key the repository accepts",
  },
  { pattern: /'[^']*' does not appear to be a git repository|[Rr]epository (not found|.*does not exist)/ },
  {
    pattern: /unable to download '[^']*': HTTP error (401|403)/,
    hint: ({ tokenHosts }) =>
      tokenHosts.length > 0
        ? `the token of 'nix-access-tokens' was refused (tokens given for ${tokenHosts.join(', ')})`
        : "no token was given: set 'nix-access-tokens' to host=token",
  },
  {
    pattern: /unable to download '[^']*': HTTP error 404/,
    hint: ({ tokenHosts }) =>
      tokenHosts.length > 0
        ? 'not found with the token given'
        : "not found: a private repository needs 'nix-access-tokens'",
  },
  { pattern: /unable to download '[^']*': [^\n]*/ },
  { pattern: /Could not resolve hostname [^\n]*|Connection refused|Connection timed out/ },
];

export interface ReasonContext {
  sshKeyGiven: boolean;
  /** The hosts `nix-access-tokens` names. */
  tokenHosts: readonly string[];
}

/** The line of Nix's, git's or ssh's output that says why a fetch failed, with what to do about it. */
export function fetchFailureReason(stderr: string, context: ReasonContext): string {
  for (const { pattern, hint } of REASONS) {
    const found = stderr.match(pattern)?.[0];
    if (found === undefined) continue;
    const reason = withoutCredentials(found.trim().replace(/\.$/, ''));
    return hint ? `${reason}: ${hint(context)}` : reason;
  }
  const message = nixErrorText(stderr).split('\n')[0] ?? '';
  return withoutCredentials(message.replace(/^error:\s*/, '')) || 'Nix gave no reason';
}

/** Each locked node of flake.lock once, named by the first input path that reaches it. */
export function lockedSources(lock: FlakeLock): { input: InputPath; locked: SourceAttrs; label: string }[] {
  const seen = new Set<string>();
  const sources: { input: InputPath; locked: SourceAttrs; label: string }[] = [];
  for (const [input, edge] of lock.inputPaths()) {
    if (!('key' in edge) || seen.has(edge.key)) continue;
    seen.add(edge.key);
    const node = lock.node(edge.key);
    if (!node?.locked || node.locked.type === 'path') continue;
    sources.push({
      input,
      locked: node.locked,
      label: withoutCredentials(sourceLabel(node.locked, node.original)),
    });
  }
  return sources;
}

/** Fetching a locked node as Nix's own call-flake.nix does, from its flake.lock entry. */
function fetchExpression(locked: SourceAttrs): string {
  const { dir: _dir, ...attrs } = locked;
  return `(builtins.fetchTree (builtins.fromJSON ${JSON.stringify(JSON.stringify(attrs))})).narHash`;
}

export interface InputFetchDiagnosis extends ReasonContext {
  runner: ProcessRunner;
  nixOptions?: NixCliOptions;
  flakeDir: string;
  signal?: AbortSignal;
}

const PROBES_AT_ONCE = 4;

/**
 * Which of the flake's locked inputs Nix cannot fetch, and why: each is fetched on its own, as Nix
 * fetches it for an evaluation (a source already in the store costs nothing), so one failure is
 * told apart from the next and Nix 2.26's misleading last line is read past. Asked only after an
 * evaluation failed with a fetch error, whose text rarely names the input.
 */
export async function diagnoseInputFetches(options: InputFetchDiagnosis): Promise<InputFetchFailure[]> {
  let lockText: string;
  try {
    lockText = await readFile(join(options.flakeDir, 'flake.lock'), 'utf8');
  } catch {
    return [];
  }
  const sources = lockedSources(FlakeLock.parse(lockText));
  const failures = await mapConcurrently(sources, PROBES_AT_ONCE, async (source) => {
    const args = nixArgs(['eval'], options.nixOptions ?? {}, [
      '--json',
      '--impure',
      '--expr',
      fetchExpression(source.locked),
    ]);
    const result = await runNix(
      options.runner,
      options.nixOptions ?? {},
      args,
      {
        ...(options.signal ? { signal: options.signal } : {}),
      },
      false,
    );
    if (succeeded(result)) return undefined;
    return { input: source.input, url: source.label, reason: fetchFailureReason(result.stderr, options) };
  });
  return failures.filter((failure): failure is InputFetchFailure => failure !== undefined);
}

/** The one line an input that cannot be fetched is reported with. */
export function inputFailureLine(failure: InputFetchFailure): string {
  return `input '${failure.input}' (${failure.url}) could not be fetched: ${failure.reason}`;
}

/** A step that failed because Nix could not fetch some of the flake's inputs. */
export class InputFetchError extends UserError {
  constructor(readonly failures: readonly InputFetchFailure[]) {
    super(
      failures.length === 1
        ? `The flake's ${inputFailureLine(failures[0] as InputFetchFailure)}`
        : `The flake's inputs could not be fetched: ${failures.map(inputFailureLine).join('; ')}`,
    );
  }
}

/**
 * After an evaluation failed with `errorText`: when it reads as a fetch failure, finds the inputs
 * behind it, logs one error line for each and returns the error to fail the step with; undefined
 * when the failure was something else (or no input fails on its own).
 */
export async function explainFetchFailure(
  errorText: string,
  diagnosis: InputFetchDiagnosis,
  logger?: Logger,
): Promise<InputFetchError | undefined> {
  if (!looksLikeFetchFailure(errorText)) return undefined;
  const failures = await diagnoseInputFetches(diagnosis);
  if (failures.length === 0) return undefined;
  for (const failure of failures) logger?.error(inputFailureLine(failure));
  return new InputFetchError(failures);
}

/**
 * `work`, failing with the inputs Nix could not fetch, one line each, when it fails with a fetch
 * error; any other failure as it was.
 */
export async function explainingFetchFailures<T>(
  work: Promise<T>,
  diagnosis: InputFetchDiagnosis,
  logger?: Logger,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw (await explainFetchFailure(error.message, diagnosis, logger)) ?? error;
  }
}

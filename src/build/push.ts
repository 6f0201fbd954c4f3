import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringifyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { describeExit, type ProcessRunner, succeeded } from '../core/process.js';
import { NixError } from '../nix/errors.js';
import type { NixStore } from '../nix/store.js';

/** A push that did not happen: the host built, its closure is not in that cache. */
export interface PushFailure {
  /** `push-to`'s store URL, or `push-command` as given. */
  target: string;
  error: string;
}

export interface PushContext {
  store: NixStore;
  runner: ProcessRunner;
  logger: Logger;
  tempDir: string;
  signal?: AbortSignal;
}

/** Signs (when a key is given) and copies the closures; the key lives in a 0600 file only meanwhile. */
export async function pushToStore(
  paths: readonly string[],
  to: string,
  signingKey: string | undefined,
  context: PushContext,
): Promise<PushFailure | undefined> {
  try {
    if (signingKey) {
      context.logger.mask(signingKey);
      const dir = await mkdtemp(join(context.tempDir, 'flakeflow-signing-'));
      const keyFile = join(dir, 'key');
      try {
        await writeFile(keyFile, `${signingKey.trim()}\n`, { mode: 0o600 });
        await chmod(keyFile, 0o600);
        await context.store.sign(paths, keyFile, { signal: context.signal });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    await context.store.copy(paths, to, { group: `Pushing to ${to}`, signal: context.signal });
    return undefined;
  } catch (error) {
    return { target: to, error: error instanceof NixError ? error.nixMessage : stringifyError(error) };
  }
}

/**
 * Runs `push-command` (`cachix push homelab`, `attic push homelab`) with the built paths appended.
 * It is the user's program, not Nix: it gets what every child inherits plus the `push-env`
 * variables only (child-environment.ts), never the run's Nix access or the step's other secrets.
 */
export async function pushWithCommand(
  paths: readonly string[],
  argv: readonly string[],
  variables: Readonly<Record<string, string>>,
  context: PushContext,
): Promise<PushFailure | undefined> {
  const [program, ...args] = argv as [string, ...string[]];
  const target = argv.join(' ');
  try {
    const result = await context.runner.run(program, [...args, ...paths], {
      env: { ...variables },
      group: `Pushing with ${target}`,
      signal: context.signal,
    });
    if (succeeded(result)) return undefined;
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
    return { target, error: `${program} ${describeExit(result)}${said ? `:\n${said}` : ''}` };
  } catch (error) {
    return { target, error: stringifyError(error) };
  }
}

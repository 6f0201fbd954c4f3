import type { ActionEnvironment } from '../core/action.js';
import { CleanupList } from '../core/cleanup.js';
import { type ProcessRunner, SpawnProcessRunner } from '../core/process.js';
import { type NixAccessSettings, prepareNixAccess } from '../nix/access.js';

/**
 * Runs an action's work with the process runner its Nix processes fetch the flake's private inputs
 * through: the Nix access (src/nix/access.ts) is prepared in the run's temp dir, given to role `nix`
 * only (child-environment.ts), and removed when the work ends, however it ends.
 */
export async function withNixRunner<T>(
  access: NixAccessSettings,
  environment: Pick<ActionEnvironment, 'context' | 'logger' | 'state'>,
  work: (runner: ProcessRunner) => Promise<T>,
): Promise<T> {
  const { context, logger, state } = environment;
  const nixAccess = await prepareNixAccess(access, {
    tempDir: context.runnerTemp,
    cleanup: new CleanupList(state),
    mask: (secret) => logger.mask(secret),
    stepEnvironment: process.env,
  });
  try {
    return await work(new SpawnProcessRunner(logger, undefined, process.env, nixAccess.roles));
  } finally {
    await nixAccess.remove();
  }
}

import { removeRegisteredPaths } from './cleanup.js';
import { stringifyError } from './errors.js';
import { RunnerLogger, runnerState } from './runner-logger.js';

/** The `post` step: removes what the main step registered for clean-up. Warns, never fails. */
export async function runPostStep(): Promise<void> {
  const logger = new RunnerLogger();
  try {
    const removed = await removeRegisteredPaths(runnerState, logger);
    if (removed > 0) logger.info(`Removed ${removed} file(s) the main step left for clean-up`);
  } catch (error) {
    logger.warning(`Clean-up failed: ${stringifyError(error)}`);
  }
}

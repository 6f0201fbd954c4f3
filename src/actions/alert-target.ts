import type { RunContext } from '../core/action.js';
import { runUrlOf } from '../core/action.js';
import type { AlertTarget } from '../core/alert-issue.js';
import { UserError } from '../core/errors.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import type { Logger } from '../core/logger.js';
import { parseRepository } from '../core/repository.js';

/** Where `alert-issue: true` keeps its issue: this repository, linked to this run. */
export async function alertTargetFor(
  context: RunContext,
  token: string,
  logger: Logger,
): Promise<AlertTarget> {
  const repository = parseRepository(context.repository ?? '');
  if (!repository)
    throw new UserError("Input 'alert-issue' needs GITHUB_REPOSITORY (owner/name) to open the issue in");
  const client = await loadRunGitHubClient(token, context, logger);
  const runUrl = runUrlOf(context);
  return { client, repository, ...(runUrl ? { runUrl } : {}) };
}

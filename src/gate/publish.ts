import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runUrlOf } from '../core/action.js';
import type { GitHubClient } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { parseRepository } from '../core/repository.js';
import { publishCheckRun, warnPublishError } from './check-run.js';
import type { CheckoutGit } from './git.js';
import { SourceLines } from './positions.js';
import type { GateResult, GateRunContext, Publication } from './result.js';
import { eventBaseSha } from './scope.js';
import { buildSuggestions, diffHunks, postSuggestions } from './suggestions.js';
import { renderSummary } from './summary.js';

export type { Publication } from './result.js';

export interface PublishRequest {
  checkRun: boolean;
  suggestions: boolean;
  client: GitHubClient | undefined;
  git: CheckoutGit;
  /** Where `finding.file` paths start. */
  repoRoot: string;
  logger: Logger;
}

/** The pull request's head: a check run on GitHub's merge commit would not show on the pull request. */
function headSha(context: GateRunContext): string | undefined {
  const pull = context.event.pull_request as { head?: { sha?: unknown } } | undefined;
  return typeof pull?.head?.sha === 'string' ? pull.head.sha : context.sha;
}

function pullNumber(context: GateRunContext): number | undefined {
  const pull = context.event.pull_request as { number?: unknown } | undefined;
  return typeof pull?.number === 'number' ? pull.number : undefined;
}

/** Publishes the check run and the suggestions review; failures become warnings, never the verdict. */
export async function publishResult(
  result: GateResult,
  context: GateRunContext,
  request: PublishRequest,
): Promise<Publication> {
  const publication: Publication = { warnings: [] };
  const warn = (message: string) => {
    request.logger.warning(message);
    publication.warnings.push(message);
  };
  if (!request.checkRun && !request.suggestions) return publication;
  const repository = parseRepository(context.repository ?? '');
  const sha = headSha(context);
  if (!request.client || !repository || !sha) {
    warn('check-run and suggestions need GITHUB_REPOSITORY, the commit and a token; nothing was published');
    return publication;
  }
  if (request.checkRun) {
    const detailsUrl = runUrlOf(context);
    try {
      publication.checkRun = await publishCheckRun(
        request.client,
        {
          repository,
          headSha: sha,
          ...(detailsUrl === undefined ? {} : { detailsUrl }),
        },
        result,
        renderSummary(result, context),
      );
    } catch (error) {
      publication.warnings.push(warnPublishError(request.logger, 'check-run', 'checks: write', error));
    }
  }
  if (request.suggestions) {
    const number = pullNumber(context);
    if (number === undefined) {
      request.logger.info('suggestions: not a pull request event, so no review was posted');
      return publication;
    }
    const commentable = await pullRequestHunks(result, context, request);
    if (!commentable) {
      warn("suggestions: the pull request's base is not in the checkout, so no review was posted");
      return publication;
    }
    const sources = await readSources(result, request.repoRoot);
    const suggestions = buildSuggestions(result.findings, (file) => sources.get(file), commentable);
    try {
      publication.review = await postSuggestions(
        request.client,
        { repository, pullNumber: number, headSha: sha },
        suggestions,
        request.logger,
      );
    } catch (error) {
      publication.warnings.push(
        warnPublishError(request.logger, 'suggestions', 'pull-requests: write', error),
      );
    }
  }
  return publication;
}

/** The lines the pull request's diff shows, where GitHub accepts review comments. */
async function pullRequestHunks(
  result: GateResult,
  context: GateRunContext,
  request: PublishRequest,
): Promise<Map<string, [number, number][]> | undefined> {
  let from = result.scope.base?.commit;
  if (!from) {
    const base = eventBaseSha(context.event);
    const commit = base ? await request.git.resolveCommit(base) : undefined;
    from = commit ? ((await request.git.mergeBase(commit, 'HEAD')) ?? commit) : undefined;
  }
  if (!from) return undefined;
  return diffHunks(await request.git.diff(from, '.'));
}

async function readSources(result: GateResult, root: string) {
  const sources = new Map<string, (line: number) => string | undefined>();
  for (const file of new Set(
    result.findings.filter((finding) => finding.check !== 'format').map((f) => f.file),
  )) {
    try {
      const lines = SourceLines.fromText(await readFile(join(root, file), 'utf8'));
      sources.set(file, (line) => lines.text(line));
    } catch {
      // Unreadable files get no suggestions.
    }
  }
  return sources;
}

import type { GitHubClient, RepositoryRef } from '../core/github.js';

/** Hidden in the rendered comment; the report finds its own comment by it. */
export const REPORT_MARKER = '<!-- flakeflow:report -->';

export interface StickyComment {
  url: string;
  operation: 'created' | 'updated' | 'unchanged';
}

/** Updates the pull request's comment holding `marker` in place, or creates it: never a second one. */
export async function upsertStickyComment(
  client: GitHubClient,
  repository: RepositoryRef,
  issueNumber: number,
  marker: string,
  body: string,
): Promise<StickyComment> {
  const comments = await client.paginate(client.rest.issues.listComments, {
    ...repository,
    issue_number: issueNumber,
    per_page: 100,
  });
  const existing = comments.find((comment) => comment.body?.includes(marker));
  if (existing) {
    if (existing.body === body) return { url: existing.html_url, operation: 'unchanged' };
    const { data } = await client.rest.issues.updateComment({ ...repository, comment_id: existing.id, body });
    return { url: data.html_url, operation: 'updated' };
  }
  const { data } = await client.rest.issues.createComment({ ...repository, issue_number: issueNumber, body });
  return { url: data.html_url, operation: 'created' };
}

/** The pull request an event is about: pull_request(_target), or a comment on a pull request. */
export function pullRequestNumber(event: Record<string, unknown>): number | undefined {
  const pull = event.pull_request as { number?: unknown } | undefined;
  if (typeof pull?.number === 'number') return pull.number;
  const issue = event.issue as { number?: unknown; pull_request?: unknown } | undefined;
  if (issue?.pull_request && typeof issue.number === 'number') return issue.number;
  return undefined;
}

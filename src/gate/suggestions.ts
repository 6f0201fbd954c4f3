import type { GitHubClient, RepositoryRef } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { codeBlock } from '../core/markdown.js';
import { annotationTitle } from './annotations.js';
import type { Finding } from './findings.js';
import { indexOfColumn } from './positions.js';

/** Marks the review flakeflow posts, so the next run can find and replace it. */
export const REVIEW_MARKER = '<!-- flakeflow-gate-suggestions -->';
const SUPERSEDED_MARKER = '<!-- flakeflow-gate-suggestions: superseded -->';
/** GitHub renders reviews with hundreds of comments poorly; the rest stay in the annotations. */
const MAX_SUGGESTIONS = 100;

/** A change to whole lines `startLine..line` of a file: their new text, empty to delete them. */
export interface LineEdit {
  startLine: number;
  line: number;
  text: string;
}

export interface Suggestion extends LineEdit {
  path: string;
  body: string;
}

/** Returns line `n` (1-based) of a file, or undefined past its end. */
export type LineReader = (line: number) => string | undefined;

/** statix's own fix, widened to the whole lines it touches (GitHub suggestions replace lines). */
export function statixEdit(finding: Finding, lines: LineReader): LineEdit | undefined {
  const fix = finding.fix;
  if (!fix) return undefined;
  const first = lines(fix.line);
  const last = lines(fix.endLine);
  if (first === undefined || last === undefined) return undefined;
  const text =
    first.slice(0, indexOfColumn(first, fix.column)) +
    fix.replacement +
    last.slice(indexOfColumn(last, fix.endColumn));
  return { startLine: fix.line, line: fix.endLine, text };
}

const NAME_CHAR = /[A-Za-z0-9_'-]/;

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if ('([{'.includes(char)) depth += 1;
    else if (')]}'.includes(char)) depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0 && (text.match(/"/g)?.length ?? 0) % 2 === 0 && !text.includes("''");
}

/**
 * What removing a dead binding deadnix found means on its line, when that is unambiguous: a
 * binding alone on its line, a name in an `inherit`, a pattern name, `args@`. Lambda arguments
 * cannot be removed without changing the function, so they get no suggestion.
 */
export function deadnixRemoval(finding: Finding, lines: LineReader): LineEdit | undefined {
  const kind = /^Unused (let binding|lambda pattern): (.+)$/.exec(finding.message);
  if (!kind || finding.line === undefined || finding.column === undefined) return undefined;
  const name = kind[2] as string;
  const text = lines(finding.line);
  if (text === undefined) return undefined;
  const start = indexOfColumn(text, finding.column);
  if (text.slice(start, start + name.length) !== name) return undefined;
  const before = text.slice(0, start);
  const after = text.slice(start + name.length);
  if (NAME_CHAR.test(before.at(-1) ?? ' ') || NAME_CHAR.test(after[0] ?? ' ')) return undefined;
  const deleteLine = { startLine: finding.line, line: finding.line, text: '' };
  const replaceLine = (newText: string) => ({
    startLine: finding.line as number,
    line: finding.line as number,
    text: newText,
  });

  if (kind[1] === 'let binding') {
    if (/^\s*$/.test(before) && /^\s*=(?!=).*;\s*$/.test(after) && balanced(after)) return deleteLine;
    const inherit = /^(\s*inherit\b(?:\s*\([^)]*\))?)(.*)$/.exec(before);
    if (!inherit || !/^[^;]*;\s*$/.test(after)) return undefined;
    const others = `${inherit[2]} ${after.replace(/;\s*$/, '')}`.trim();
    if (others === '') return /^\s*$/.test(after.replace(/^[^;]*;/, '')) ? deleteLine : undefined;
    return replaceLine(before.replace(/\s+$/, '') + after);
  }
  if (/^\s*@/.test(after)) return replaceLine(before + after.replace(/^\s*@\s*/, ''));
  if (/@\s*$/.test(before)) return replaceLine(before.replace(/\s*@\s*$/, '') + after);
  const fallback = /^(\s*\?\s*[^,{}()[\]"]+?)?(?=\s*[,}])/.exec(after);
  if (!fallback) return undefined;
  const rest = after.slice(fallback[0].length);
  if (/^\s*$/.test(before) && /^\s*,\s*$/.test(rest)) return deleteLine;
  if (/^\s*,/.test(rest)) return replaceLine(before + rest.replace(/^\s*,\s*/, ''));
  if (/,\s*$/.test(before) && /^\s*}/.test(rest))
    return replaceLine(before.replace(/\s*,\s*$/, ' ') + rest.trimStart());
  return undefined;
}

export function suggestionBody(finding: Finding, edit: LineEdit): string {
  const what = finding.check === 'deadnix' ? `${finding.message}: remove it.` : finding.message;
  return `**${annotationTitle(finding)}** · ${what}\n\n${suggestionBlock(edit.text)}`;
}

/** A ```suggestion block; an empty one (no line at all inside) deletes the lines. */
export function suggestionBlock(text: string): string {
  if (text !== '') return codeBlock(text, 'suggestion');
  return '```suggestion\n```';
}

/**
 * One suggestion per finding that has a safe edit, within lines the pull request's diff shows
 * (GitHub refuses review comments elsewhere), at most one per line range.
 */
export function buildSuggestions(
  findings: readonly Finding[],
  readLines: (file: string) => LineReader | undefined,
  commentable: ReadonlyMap<string, readonly [number, number][]>,
): Suggestion[] {
  const suggestions: Suggestion[] = [];
  const taken = new Set<string>();
  for (const finding of findings) {
    const lines = readLines(finding.file);
    if (!lines) continue;
    const edit =
      finding.check === 'statix'
        ? statixEdit(finding, lines)
        : finding.check === 'deadnix'
          ? deadnixRemoval(finding, lines)
          : undefined;
    if (!edit) continue;
    const inDiff = (commentable.get(finding.file) ?? []).some(
      ([start, end]) => edit.startLine >= start && edit.line <= end,
    );
    const key = `${finding.file}:${edit.startLine}-${edit.line}`;
    if (!inDiff || taken.has(key)) continue;
    taken.add(key);
    suggestions.push({ ...edit, path: finding.file, body: suggestionBody(finding, edit) });
  }
  return suggestions.slice(0, MAX_SUGGESTIONS);
}

/** The right-hand line ranges of each file's hunks in a unified diff, context lines included. */
export function diffHunks(diff: string): Map<string, [number, number][]> {
  const hunks = new Map<string, [number, number][]>();
  let file: string | undefined;
  for (const line of diff.split('\n')) {
    const target = /^\+\+\+ (?:b\/(.*)|\/dev\/null)$/.exec(line);
    if (target) {
      file = target[1];
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count > 0) hunks.set(file, [...(hunks.get(file) ?? []), [start, start + count - 1]]);
    }
  }
  return hunks;
}

export interface ReviewTarget {
  repository: RepositoryRef;
  pullNumber: number;
  headSha: string;
}

export interface ReviewOutcome {
  posted: number;
  /** Earlier flakeflow reviews whose suggestions were removed. */
  replaced: number;
  unchanged: boolean;
  url?: string;
}

interface ReviewComment {
  path: string;
  line: number;
  start_line?: number;
  side: 'RIGHT';
  start_side?: 'RIGHT';
  body: string;
}

function reviewComments(suggestions: readonly Suggestion[]): ReviewComment[] {
  return suggestions.map((suggestion) => ({
    path: suggestion.path,
    line: suggestion.line,
    side: 'RIGHT' as const,
    ...(suggestion.startLine < suggestion.line
      ? { start_line: suggestion.startLine, start_side: 'RIGHT' as const }
      : {}),
    body: suggestion.body,
  }));
}

interface CommentPlace {
  path: string;
  line?: number | null;
  start_line?: number | null;
  body: string;
}

function sameComments(posted: readonly CommentPlace[], wanted: readonly ReviewComment[]): boolean {
  const key = (comment: CommentPlace) =>
    `${comment.path}:${comment.start_line ?? comment.line}-${comment.line}:${comment.body}`;
  const left = posted.map(key).sort();
  const right = wanted.map(key).sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/**
 * Posts one review with the suggestions, replacing the previous flakeflow review: its comments are
 * deleted and its body marked superseded (a submitted review itself cannot be deleted). When the
 * suggestions have not changed, the previous review stays as it is.
 */
export async function postSuggestions(
  client: GitHubClient,
  target: ReviewTarget,
  suggestions: readonly Suggestion[],
  logger: Logger,
): Promise<ReviewOutcome> {
  const { owner, repo } = target.repository;
  const pull = { owner, repo, pull_number: target.pullNumber };
  const reviews = await client.paginate(client.rest.pulls.listReviews, { ...pull, per_page: 100 });
  const previous = reviews.filter((review) => review.body?.includes(REVIEW_MARKER));
  const wanted = reviewComments(suggestions);
  const latest = previous.at(-1);
  if (latest && previous.length === 1 && latest.commit_id === target.headSha) {
    const posted = await client.paginate(client.rest.pulls.listCommentsForReview, {
      ...pull,
      review_id: latest.id,
      per_page: 100,
    });
    if (sameComments(posted, wanted)) {
      logger.info(`The flakeflow review already holds these ${wanted.length} suggestions; left as it is`);
      return { posted: 0, replaced: 0, unchanged: true, url: latest.html_url };
    }
  }
  for (const review of previous) {
    const comments = await client.paginate(client.rest.pulls.listCommentsForReview, {
      ...pull,
      review_id: review.id,
      per_page: 100,
    });
    for (const comment of comments) {
      await client.rest.pulls.deleteReviewComment({ owner, repo, comment_id: comment.id });
    }
    await client.rest.pulls.updateReview({
      ...pull,
      review_id: review.id,
      body: `${SUPERSEDED_MARKER}\nflakeflow gate: these suggestions were replaced by a newer review.`,
    });
  }
  if (wanted.length === 0) return { posted: 0, replaced: previous.length, unchanged: false };
  const count = `${wanted.length} suggested fix${wanted.length === 1 ? '' : 'es'}`;
  const created = await client.rest.pulls.createReview({
    ...pull,
    commit_id: target.headSha,
    event: 'COMMENT',
    body: `${REVIEW_MARKER}\n**flakeflow gate**: ${count} from statix and deadnix. Commit them one by one, or together from *Files changed* → *Add suggestion to batch*.`,
    comments: wanted,
  });
  return { posted: wanted.length, replaced: previous.length, unchanged: false, url: created.data.html_url };
}

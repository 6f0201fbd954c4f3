import { notFound } from '../state/errors.js';
import type { IssueOrPull, PullRequestRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import type { FakeState } from '../state/state.js';
import type { Links } from './render.js';

/** One REST request, already routed and checked against GitHub's OpenAPI description. */
export interface RestCall {
  state: FakeState;
  links: Links;
  /** The repository named by `{owner}/{repo}`; every handler here is repository-scoped. */
  repo: FakeRepository;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  /** The JSON body; its shape is guaranteed by the contract check, so handlers may narrow it. */
  body: Record<string, unknown>;
  url: URL;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RestHandler = (call: RestCall) => RestResponse;

export type RestHandlers = Record<string, RestHandler>;

export function ok(body: unknown, status = 200): RestResponse {
  return { status, body };
}

export function created(body: unknown): RestResponse {
  return { status: 201, body };
}

export function noContent(): RestResponse {
  return { status: 204 };
}

export function queryString(call: RestCall, name: string): string | undefined {
  const value = call.query[name];
  return Array.isArray(value) ? value[0] : value;
}

export function numberParam(call: RestCall, name: string): number {
  return Number(call.params[name]);
}

export function issueParam(call: RestCall, name = 'issue_number'): IssueOrPull {
  const issue = call.repo.issue(numberParam(call, name));
  if (!issue) throw notFound();
  return issue;
}

export function pullParam(call: RestCall): PullRequestRecord {
  const pull = call.repo.pullRequest(numberParam(call, 'pull_number'));
  if (!pull) throw notFound();
  return pull;
}

/**
 * A page of a list, with GitHub's `Link` header (`per_page` at most 100, 30 by default), so
 * `octokit.paginate` pages for real.
 */
export function paginate(call: RestCall, items: unknown[]): RestResponse {
  const perPage = Math.min(Math.max(Number(queryString(call, 'per_page') ?? 30), 1), 100);
  const page = Math.max(Number(queryString(call, 'page') ?? 1), 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const pageUrl = (n: number) => {
    const url = new URL(call.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

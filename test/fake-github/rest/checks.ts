import { customValidation, GitHubError, notFound } from '../state/errors.js';
import type { AnnotationRecord, CheckConclusion, CheckRunRecord, CheckStatus } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId } from '../state/state.js';
import { created, numberParam, ok, paginate, queryString, type RestCall, type RestHandlers } from './call.js';
import { iso, type Links, renderUser } from './render.js';

interface CheckRunInput {
  name?: string;
  head_sha?: string;
  details_url?: string;
  external_id?: string;
  status?: CheckStatus;
  conclusion?: CheckConclusion;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string; annotations?: AnnotationRecord[] };
}

/** Checks API limit on `output.summary` and `output.text`. */
export const MAX_OUTPUT_LENGTH = 65_535;

/** The GitHub Actions app, which owns check runs made with a workflow's GITHUB_TOKEN. */
const GITHUB_ACTIONS_APP_ID = 15368;

/** Check runs; annotations from later updates are appended, as GitHub does. */
export const checkHandlers: RestHandlers = {
  'checks/create': (call) => {
    const input = call.body as CheckRunInput;
    const headSha = call.repo.git.resolveCommit(input.head_sha as string);
    if (!headSha || headSha !== input.head_sha) {
      throw new GitHubError(422, `No commit found for SHA: ${input.head_sha}`);
    }
    const id = call.state.nextId();
    const run: CheckRunRecord = {
      id,
      nodeId: encodeNodeId('CR', ['check-run', call.repo.id, id]),
      name: input.name as string,
      headSha,
      status: 'queued',
      conclusion: null,
      startedAt: call.state.now(),
      completedAt: null,
      externalId: input.external_id ?? null,
      detailsUrl: input.details_url ?? null,
      output: { title: null, summary: null, text: null, annotations: [] },
    };
    applyUpdate(call, run, input);
    call.repo.checkRuns.push(run);
    return created(renderCheckRun(call.links, call.repo, run));
  },

  'checks/update': (call) => {
    const run = checkRunParam(call);
    applyUpdate(call, run, call.body as CheckRunInput);
    return ok(renderCheckRun(call.links, call.repo, run));
  },

  'checks/get': (call) => ok(renderCheckRun(call.links, call.repo, checkRunParam(call))),

  'checks/list-annotations': (call) => {
    const run = checkRunParam(call);
    const url = call.links.repoApi(call.repo, `/check-runs/${run.id}`);
    return paginate(
      call,
      run.output.annotations.map((annotation) => ({
        path: annotation.path,
        start_line: annotation.start_line,
        end_line: annotation.end_line,
        start_column: annotation.start_column ?? null,
        end_column: annotation.end_column ?? null,
        annotation_level: annotation.annotation_level,
        title: annotation.title ?? null,
        message: annotation.message,
        raw_details: annotation.raw_details ?? null,
        blob_href: `${url}/blob`,
      })),
    );
  },

  'checks/list-for-ref': (call) => {
    const sha = call.repo.git.resolveCommit(call.params.ref as string);
    if (!sha) throw notFound();
    const name = queryString(call, 'check_name');
    const status = queryString(call, 'status');
    const runs = call.repo.checkRuns
      .filter((run) => run.headSha === sha)
      .filter((run) => !name || run.name === name)
      .filter((run) => !status || run.status === status);
    const page = paginate(
      call,
      runs.map((run) => renderCheckRun(call.links, call.repo, run)),
    );
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  },
};

function applyUpdate(call: RestCall, run: CheckRunRecord, input: CheckRunInput): void {
  // More than 50 annotations in one request never gets here: GitHub's description says `maxItems: 50`.
  const annotations = input.output?.annotations ?? [];
  for (const field of ['summary', 'text'] as const) {
    if ((input.output?.[field] ?? '').length > MAX_OUTPUT_LENGTH) {
      throw customValidation(
        'CheckRun',
        `Output ${field} exceeds the maximum of ${MAX_OUTPUT_LENGTH} characters`,
        field,
      );
    }
  }
  if (input.status === 'completed' && !input.conclusion && !run.conclusion) {
    throw customValidation('CheckRun', 'Conclusion must be provided when status is completed', 'conclusion');
  }
  if (input.name !== undefined) run.name = input.name;
  if (input.details_url !== undefined) run.detailsUrl = input.details_url;
  if (input.external_id !== undefined) run.externalId = input.external_id;
  if (input.started_at !== undefined) run.startedAt = new Date(input.started_at);
  if (input.status !== undefined) run.status = input.status;
  if (input.conclusion !== undefined) {
    // GitHub completes a run when it is given a conclusion.
    run.conclusion = input.conclusion;
    run.status = 'completed';
  }
  if (run.status === 'completed') {
    run.completedAt = input.completed_at
      ? new Date(input.completed_at)
      : (run.completedAt ?? call.state.now());
  }
  if (input.output) {
    if (input.output.title !== undefined) run.output.title = input.output.title;
    if (input.output.summary !== undefined) run.output.summary = input.output.summary;
    if (input.output.text !== undefined) run.output.text = input.output.text;
    run.output.annotations.push(...annotations);
  }
}

function checkRunParam(call: RestCall): CheckRunRecord {
  const id = numberParam(call, 'check_run_id');
  const run = call.repo.checkRuns.find((r) => r.id === id);
  if (!run) throw notFound();
  return run;
}

export function renderCheckRun(links: Links, repo: FakeRepository, run: CheckRunRecord) {
  const url = links.repoApi(repo, `/check-runs/${run.id}`);
  const pulls = repo.pullRequests().filter((pull) => pull.head.sha === run.headSha);
  const repoRef = { id: repo.id, url: links.repoApi(repo), name: repo.name };
  const created = iso(repo.createdAt);
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: run.nodeId,
    external_id: run.externalId,
    url,
    html_url: links.repoHtml(repo, `/runs/${run.id}`),
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: iso(run.startedAt),
    completed_at: iso(run.completedAt),
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: repo.id * 10 },
    app: {
      id: GITHUB_ACTIONS_APP_ID,
      slug: 'github-actions',
      node_id: encodeNodeId('A', ['app', GITHUB_ACTIONS_APP_ID]),
      client_id: 'Iv1.github-actions',
      owner: renderUser(links, repo.state.user('github', { type: 'Organization', id: 9919 })),
      name: 'GitHub Actions',
      description: 'Automate your workflow from idea to production',
      external_url: 'https://help.github.com/en/actions',
      html_url: links.html('/apps/github-actions'),
      created_at: created,
      updated_at: created,
      permissions: { checks: 'write', contents: 'write', deployments: 'write', pull_requests: 'write' },
      events: ['check_run', 'pull_request', 'push'],
    },
    pull_requests: pulls.map((pull) => ({
      id: pull.pullId,
      number: pull.number,
      url: links.repoApi(repo, `/pulls/${pull.number}`),
      head: { ref: pull.head.ref, sha: pull.head.sha, repo: repoRef },
      base: { ref: pull.base.ref, sha: repo.branch(pull.base.ref) ?? pull.head.sha, repo: repoRef },
    })),
  };
}

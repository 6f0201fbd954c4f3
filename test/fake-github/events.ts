import { createRequire } from 'node:module';
import type { FakeRepository } from './state/repository.js';

/**
 * Event payloads for `GITHUB_EVENT_PATH`, taken from GitHub's own examples in
 * `@octokit/webhooks-examples` and patched with the repository and SHAs of the test.
 */
export type EventName = 'pull_request' | 'push' | 'schedule' | 'workflow_dispatch';

export interface EventPatch {
  /** `owner/name`, or a fake repository (its id, node id and default branch are used too). */
  repository?: string | FakeRepository;
  /** pull_request: `opened` (default), `synchronize`, `closed`, … */
  action?: string;
  number?: number;
  headSha?: string;
  baseSha?: string;
  headRef?: string;
  baseRef?: string;
  /** push: the new tip (`after`); synchronize: `after` too. */
  sha?: string;
  /** push and synchronize: the previous tip. */
  before?: string;
  /** push and workflow_dispatch: `refs/heads/…` (the default branch by default). */
  ref?: string;
  inputs?: Record<string, unknown>;
  /** workflow_dispatch and schedule: the workflow file. */
  workflow?: string;
  /** schedule: the cron expression that fired. */
  schedule?: string;
  sender?: string;
}

type Payload = Record<string, unknown>;

interface WebhookDefinition {
  name: string;
  examples: Payload[];
}

const require = createRequire(import.meta.url);
let definitions: WebhookDefinition[] | undefined;

function examplesOf(name: string): Payload[] {
  definitions ??= require('@octokit/webhooks-examples') as WebhookDefinition[];
  return definitions.find((definition) => definition.name === name)?.examples ?? [];
}

export function eventPayload(name: EventName, patch: EventPatch = {}): Payload {
  switch (name) {
    case 'pull_request':
      return pullRequestEvent(patch);
    case 'push':
      return pushEvent(patch);
    case 'workflow_dispatch':
      return workflowDispatchEvent(patch);
    case 'schedule':
      return scheduleEvent(patch);
  }
}

function pullRequestEvent(patch: EventPatch): Payload {
  const action = patch.action ?? 'opened';
  const example = examplesOf('pull_request').find((candidate) => candidate.action === action);
  if (!example) throw new Error(`@octokit/webhooks-examples has no pull_request.${action} example`);
  const payload = retarget(example, patch);
  if (patch.number !== undefined) {
    // Renumber the pull request's own URLs (`/pulls/2`, `/pull/2`, `/issues/2`, also in `_links`).
    const old = (payload.pull_request as { number: number }).number;
    const text = JSON.stringify(payload.pull_request).replace(
      new RegExp(`/(pulls?|issues)/${old}\\b`, 'g'),
      `/$1/${patch.number}`,
    );
    payload.pull_request = { ...(JSON.parse(text) as Payload), number: patch.number };
    payload.number = patch.number;
  }
  const pull = payload.pull_request as Payload & { head: Payload; base: Payload };
  const owner = (payload.repository as { owner: { login: string } }).owner.login;
  const defaultBranch = (payload.repository as { default_branch: string }).default_branch;
  const ends = [
    [pull.head, patch.headRef, patch.headSha ?? patch.sha],
    [pull.base, patch.baseRef ?? (patch.repository ? defaultBranch : undefined), patch.baseSha],
  ] as const;
  for (const [end, ref, sha] of ends) {
    if (ref !== undefined) {
      end.ref = ref;
      end.label = `${owner}:${ref}`;
    }
    if (sha !== undefined) end.sha = sha;
  }
  if (action === 'synchronize') {
    if (patch.before !== undefined) payload.before = patch.before;
    payload.after = pull.head.sha;
  }
  return payload;
}

function pushEvent(patch: EventPatch): Payload {
  const example = examplesOf('push').find((candidate) => String(candidate.ref).startsWith('refs/heads/'));
  if (!example) throw new Error('@octokit/webhooks-examples has no branch push example');
  const payload = retarget(example, patch);
  const repository = payload.repository as { default_branch: string; html_url: string };
  const ref = patch.ref ?? `refs/heads/${repository.default_branch}`;
  const after = patch.sha ?? (payload.after as string);
  const before = patch.before ?? (payload.before as string);
  Object.assign(payload, {
    ref,
    before,
    after,
    created: /^0+$/.test(before),
    compare: `${repository.html_url}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
  });
  const head = payload.head_commit as Payload | null;
  if (head) {
    head.id = after;
    head.url = `${repository.html_url}/commit/${after}`;
    payload.commits = [head];
  }
  return payload;
}

function workflowDispatchEvent(patch: EventPatch): Payload {
  const example = examplesOf('workflow_dispatch')[0];
  if (!example) throw new Error('@octokit/webhooks-examples has no workflow_dispatch example');
  const payload = retarget(example, patch);
  const defaultBranch = (payload.repository as { default_branch: string }).default_branch;
  payload.ref = patch.ref ?? `refs/heads/${defaultBranch}`;
  payload.inputs = patch.inputs ?? {};
  if (patch.workflow) payload.workflow = patch.workflow;
  return payload;
}

/**
 * The examples have no `schedule` event (it is not a webhook), so this builds what GitHub puts in
 * `GITHUB_EVENT_PATH` for scheduled runs: the cron that fired, the workflow, and the repository.
 * A scheduled run has no human sender; the runner's payload carries none unless one is asked for.
 */
function scheduleEvent(patch: EventPatch): Payload {
  const source = examplesOf('pull_request').find((candidate) => candidate.action === 'opened') as Payload;
  const repository = retarget({ repository: source.repository, sender: source.sender }, patch);
  return {
    schedule: patch.schedule ?? '0 4 * * *',
    workflow: patch.workflow ?? '.github/workflows/update.yml',
    repository: repository.repository,
    ...(patch.sender ? { sender: repository.sender } : {}),
  };
}

/** A deep copy of the example with its repository (and URLs) renamed, and the sender replaced. */
function retarget(example: Payload, patch: EventPatch): Payload {
  const original = example.repository as { full_name: string; owner: { login: string } };
  let text = JSON.stringify(example);
  const target = patch.repository;
  const slug = typeof target === 'string' ? target : target?.fullName;
  if (slug) text = text.split(original.full_name).join(slug);
  const payload = JSON.parse(text) as Payload;
  const repository = payload.repository as Payload & { owner: Payload };
  if (slug) {
    const [owner, name] = slug.split('/') as [string, string];
    repository.name = name;
    repository.full_name = slug;
    repository.owner.login = owner;
    if ('name' in repository.owner) repository.owner.name = owner;
  }
  if (target && typeof target !== 'string') {
    repository.id = target.id;
    repository.node_id = target.nodeId;
    repository.default_branch = target.defaultBranch;
    if ('master_branch' in repository) repository.master_branch = target.defaultBranch;
  }
  if (patch.sender) {
    const sender = payload.sender as Payload | undefined;
    if (sender) sender.login = patch.sender;
  }
  return payload;
}

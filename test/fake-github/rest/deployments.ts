import { customValidation, GitHubError, notFound } from '../state/errors.js';
import type { DeploymentRecord, DeploymentState, DeploymentStatusRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { encodeNodeId } from '../state/state.js';
import { created, numberParam, ok, paginate, queryString, type RestCall, type RestHandlers } from './call.js';
import { iso, type Links, renderUser } from './render.js';

interface DeploymentInput {
  ref: string;
  task?: string;
  auto_merge?: boolean;
  required_contexts?: string[];
  payload?: Record<string, unknown> | string;
  environment?: string;
  description?: string | null;
  transient_environment?: boolean;
  production_environment?: boolean;
}

interface StatusInput {
  state: DeploymentState;
  target_url?: string;
  log_url?: string;
  description?: string;
  environment?: string;
  environment_url?: string;
  auto_inactive?: boolean;
}

const SUCCESSFUL_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/** Deployments and deployment statuses, with GitHub's auto-merge and commit-status gates. */
export const deploymentHandlers: RestHandlers = {
  'repos/create-deployment': (call) => {
    const input = call.body as unknown as DeploymentInput;
    const repo = call.repo;
    let sha = repo.git.resolveCommit(input.ref);
    if (!sha) throw new GitHubError(422, `No ref found for: ${input.ref}`);
    const isBranch = repo.branch(input.ref) !== undefined;
    const defaultTip = repo.branch(repo.defaultBranch) as string;
    if (input.auto_merge !== false && isBranch && !repo.git.isAncestor(defaultTip, sha)) {
      const base = repo.git.mergeBase(defaultTip, sha);
      const merged = repo.git.mergeTrees(
        base ? repo.git.commit(base)?.tree : undefined,
        repo.git.commit(sha)?.tree as string,
        repo.git.commit(defaultTip)?.tree as string,
      );
      if (!merged.tree)
        throw new GitHubError(409, `Conflict merging ${repo.defaultBranch} into ${input.ref}.`);
      const date = call.state.now();
      sha = repo.git.writeCommit({
        tree: merged.tree,
        parents: [sha, defaultTip],
        message: `Merge ${repo.defaultBranch} into ${input.ref}`,
        author: repo.signature(call.state.actor),
        committer: { name: 'GitHub', email: 'noreply@github.com', date },
        verified: true,
      });
      repo.git.setRef(`refs/heads/${input.ref}`, sha);
      return {
        status: 202,
        body: { message: `Auto-merged ${repo.defaultBranch} into ${input.ref} branch.` },
      };
    }
    const failing = failingContexts(repo, sha, input.required_contexts);
    if (failing.length > 0) {
      throw new GitHubError(409, `Conflict: Commit status checks failed for ${input.ref}.`, {
        errors: [{ code: 'custom', message: failing.join(', ') }],
      });
    }
    const environment = input.environment ?? 'production';
    const now = call.state.now();
    const id = call.state.nextId();
    const deployment: DeploymentRecord = {
      id,
      nodeId: encodeNodeId('DE', ['deployment', repo.id, id]),
      sha,
      ref: input.ref,
      task: input.task ?? 'deploy',
      environment,
      description: input.description ?? '',
      payload: input.payload ?? {},
      transientEnvironment: input.transient_environment ?? false,
      productionEnvironment: input.production_environment ?? environment === 'production',
      creator: call.state.actor,
      createdAt: now,
      statuses: [],
    };
    repo.deployments.push(deployment);
    return created(renderDeployment(call.links, repo, deployment));
  },

  'repos/list-deployments': (call) => {
    const filters = ['sha', 'ref', 'task', 'environment'] as const;
    const deployments = [...call.repo.deployments].reverse().filter((deployment) =>
      filters.every((name) => {
        const wanted = queryString(call, name);
        return wanted === undefined || deployment[name] === wanted;
      }),
    );
    return paginate(
      call,
      deployments.map((deployment) => renderDeployment(call.links, call.repo, deployment)),
    );
  },

  'repos/get-deployment': (call) => ok(renderDeployment(call.links, call.repo, deploymentParam(call))),

  'repos/create-deployment-status': (call) => {
    const deployment = deploymentParam(call);
    const input = call.body as unknown as StatusInput;
    if ((input.description ?? '').length > 140) {
      throw customValidation(
        'DeploymentStatus',
        'description is too long (maximum is 140 characters)',
        'description',
      );
    }
    if (input.environment) deployment.environment = input.environment;
    const status = addStatus(call, deployment, input);
    if (input.state === 'success' && input.auto_inactive !== false) {
      for (const other of call.repo.deployments) {
        const latest = other.statuses.at(-1);
        if (
          other !== deployment &&
          other.environment === deployment.environment &&
          latest?.state === 'success'
        ) {
          addStatus(call, other, { state: 'inactive', description: '' });
        }
      }
    }
    return created(renderStatus(call.links, call.repo, deployment, status));
  },

  'repos/list-deployment-statuses': (call) => {
    const deployment = deploymentParam(call);
    const statuses = [...deployment.statuses].reverse();
    return paginate(
      call,
      statuses.map((status) => renderStatus(call.links, call.repo, deployment, status)),
    );
  },
};

/** Check runs on the commit that are not green, limited to `required` when given. */
function failingContexts(repo: FakeRepository, sha: string, required: string[] | undefined): string[] {
  const runs = repo.checkRuns.filter((run) => run.headSha === sha);
  const names = required ?? [...new Set(runs.map((run) => run.name))];
  return names.filter((name) => {
    const latest = runs.filter((run) => run.name === name).at(-1);
    return latest?.status !== 'completed' || !SUCCESSFUL_CONCLUSIONS.has(latest.conclusion ?? '');
  });
}

function addStatus(call: RestCall, deployment: DeploymentRecord, input: StatusInput): DeploymentStatusRecord {
  const id = call.state.nextId();
  const status: DeploymentStatusRecord = {
    id,
    nodeId: encodeNodeId('DES', ['deployment-status', call.repo.id, id]),
    state: input.state,
    description: input.description ?? '',
    environment: deployment.environment,
    environmentUrl: input.environment_url ?? '',
    logUrl: input.log_url ?? input.target_url ?? '',
    creator: call.state.actor,
    createdAt: call.state.now(),
  };
  deployment.statuses.push(status);
  return status;
}

function deploymentParam(call: RestCall): DeploymentRecord {
  const id = numberParam(call, 'deployment_id');
  const deployment = call.repo.deployments.find((d) => d.id === id);
  if (!deployment) throw notFound();
  return deployment;
}

export function renderDeployment(links: Links, repo: FakeRepository, deployment: DeploymentRecord) {
  const url = links.repoApi(repo, `/deployments/${deployment.id}`);
  const updated = deployment.statuses.at(-1)?.createdAt ?? deployment.createdAt;
  return {
    url,
    id: deployment.id,
    node_id: deployment.nodeId,
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: deployment.payload,
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description,
    creator: renderUser(links, deployment.creator),
    created_at: iso(deployment.createdAt),
    updated_at: iso(updated),
    statuses_url: `${url}/statuses`,
    repository_url: links.repoApi(repo),
    transient_environment: deployment.transientEnvironment,
    production_environment: deployment.productionEnvironment,
  };
}

function renderStatus(
  links: Links,
  repo: FakeRepository,
  deployment: DeploymentRecord,
  status: DeploymentStatusRecord,
) {
  const deploymentUrl = links.repoApi(repo, `/deployments/${deployment.id}`);
  return {
    url: `${deploymentUrl}/statuses/${status.id}`,
    id: status.id,
    node_id: status.nodeId,
    state: status.state,
    creator: renderUser(links, status.creator),
    description: status.description,
    environment: status.environment,
    target_url: status.logUrl,
    created_at: iso(status.createdAt),
    updated_at: iso(status.createdAt),
    deployment_url: deploymentUrl,
    repository_url: links.repoApi(repo),
    environment_url: status.environmentUrl,
    log_url: status.logUrl,
  };
}

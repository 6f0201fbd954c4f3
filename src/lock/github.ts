import type { GitHubClient, RepositoryRef } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import { explainGitHubError, githubErrorFacts } from './github-errors.js';

/** A pull request as the lock update needs it. */
export interface PullRequest {
  number: number;
  url: string;
  /** The GraphQL node id, for auto-merge. */
  nodeId: string;
  headSha: string;
  draft: boolean;
  title: string;
  body: string;
  autoMergeEnabled: boolean;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export type AutoMergeAnswer =
  | { outcome: 'enabled' }
  /** Mergeable right now: GitHub will not queue it, merge it directly instead. */
  | { outcome: 'clean' }
  | { outcome: 'not-allowed' }
  | { outcome: 'refused'; message: string };

const LABEL_COLOR = '5277c3';

interface RestPull {
  number: number;
  html_url: string;
  node_id: string;
  head: { sha: string };
  draft?: boolean;
  title: string;
  body: string | null;
  auto_merge?: unknown;
}

function pullRequest(pull: RestPull): PullRequest {
  return {
    number: pull.number,
    url: pull.html_url,
    nodeId: pull.node_id,
    headSha: pull.head.sha,
    draft: pull.draft ?? false,
    title: pull.title,
    body: pull.body ?? '',
    autoMergeEnabled: pull.auto_merge !== null && pull.auto_merge !== undefined,
  };
}

function isNotFound(error: unknown): boolean {
  return githubErrorFacts(error).status === 404;
}

/**
 * The GitHub side of a lock update: refs, file contents, pull requests, auto-merge and workflow
 * dispatch, in the words of the task. Every refusal comes back as an error saying what to fix.
 */
export class LockUpdateGitHub {
  readonly slug: string;

  constructor(
    private readonly client: GitHubClient,
    private readonly repository: RepositoryRef,
    private readonly logger: Logger,
  ) {
    this.slug = `${repository.owner}/${repository.repo}`;
  }

  private async call<T>(doing: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw explainGitHubError(error, doing, this.slug);
    }
  }

  async defaultBranch(): Promise<string> {
    const { data } = await this.call('reading the repository', () =>
      this.client.rest.repos.get({ ...this.repository }),
    );
    return data.default_branch;
  }

  async branchHead(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.client.rest.git.getRef({ ...this.repository, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw explainGitHubError(error, `reading branch ${branch}`, this.slug);
    }
  }

  /** A file's text at a commit or branch; undefined when it does not exist there. */
  async fileAt(ref: string, path: string): Promise<string | undefined> {
    try {
      const { data } = await this.client.rest.repos.getContent({ ...this.repository, path, ref });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return undefined;
      return Buffer.from(data.content, 'base64').toString('utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw explainGitHubError(error, `reading ${path} at ${ref}`, this.slug);
    }
  }

  async commitParents(sha: string): Promise<string[]> {
    const { data } = await this.call(`reading commit ${sha}`, () =>
      this.client.rest.git.getCommit({ ...this.repository, commit_sha: sha }),
    );
    return data.parents.map((parent) => parent.sha);
  }

  async findOpenPull(branch: string, base: string): Promise<PullRequest | undefined> {
    const { data } = await this.call(`looking for the open pull request from ${branch}`, () =>
      this.client.rest.pulls.list({
        ...this.repository,
        head: `${this.repository.owner}:${branch}`,
        base,
        state: 'open',
      }),
    );
    const [found] = data;
    return found ? pullRequest(found as RestPull) : undefined;
  }

  async createBranch(branch: string, sha: string): Promise<void> {
    await this.call(`creating branch ${branch}`, () =>
      this.client.rest.git.createRef({ ...this.repository, ref: `refs/heads/${branch}`, sha }),
    );
  }

  async moveBranch(branch: string, sha: string): Promise<void> {
    await this.call(`moving branch ${branch}`, () =>
      this.client.rest.git.updateRef({ ...this.repository, ref: `heads/${branch}`, sha, force: true }),
    );
  }

  async deleteBranch(branch: string): Promise<void> {
    try {
      await this.client.rest.git.deleteRef({ ...this.repository, ref: `heads/${branch}` });
    } catch (error) {
      if (isNotFound(error) || githubErrorFacts(error).status === 422) return;
      throw explainGitHubError(error, `deleting branch ${branch}`, this.slug);
    }
  }

  /** Appends one commit to `branch` with GraphQL `createCommitOnBranch`, which GitHub signs. */
  async commitFile(options: {
    branch: string;
    expectedHeadOid: string;
    path: string;
    contents: string;
    headline: string;
    body: string;
  }): Promise<string> {
    const result = await this.call(`committing ${options.path} to ${options.branch}`, () =>
      this.client.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(
        `mutation CreateLockCommit($input: CreateCommitOnBranchInput!) {
          createCommitOnBranch(input: $input) { commit { oid } }
        }`,
        {
          input: {
            branch: { repositoryNameWithOwner: this.slug, branchName: options.branch },
            message: { headline: options.headline, body: options.body },
            fileChanges: {
              additions: [{ path: options.path, contents: Buffer.from(options.contents).toString('base64') }],
            },
            expectedHeadOid: options.expectedHeadOid,
          },
        },
      ),
    );
    return result.createCommitOnBranch.commit.oid;
  }

  async createPull(options: {
    branch: string;
    base: string;
    title: string;
    body: string;
    draft: boolean;
  }): Promise<PullRequest> {
    try {
      const { data } = await this.client.rest.pulls.create({
        ...this.repository,
        head: options.branch,
        base: options.base,
        title: options.title,
        body: options.body,
        draft: options.draft,
        maintainer_can_modify: false,
      });
      return pullRequest(data as RestPull);
    } catch (error) {
      // A retried create whose first attempt got through: use the pull request it made.
      if (/already exists/i.test(githubErrorFacts(error).message)) {
        const existing = await this.findOpenPull(options.branch, options.base);
        if (existing) return existing;
      }
      throw explainGitHubError(error, 'creating the pull request', this.slug);
    }
  }

  async updatePull(
    number: number,
    changes: { title?: string; body?: string; state?: 'closed' },
  ): Promise<void> {
    await this.call(`updating pull request #${number}`, () =>
      this.client.rest.pulls.update({ ...this.repository, pull_number: number, ...changes }),
    );
  }

  async comment(number: number, body: string): Promise<void> {
    await this.call(`commenting on #${number}`, () =>
      this.client.rest.issues.createComment({ ...this.repository, issue_number: number, body }),
    );
  }

  /** Adds labels, first creating those the repository does not have yet. */
  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    for (const name of labels) {
      try {
        await this.client.rest.issues.getLabel({ ...this.repository, name });
      } catch (error) {
        if (!isNotFound(error)) throw explainGitHubError(error, `reading label ${name}`, this.slug);
        this.logger.info(`Creating the label '${name}', which ${this.slug} does not have yet`);
        try {
          await this.client.rest.issues.createLabel({
            ...this.repository,
            name,
            color: LABEL_COLOR,
            description: 'flake.lock updates by flakeflow',
          });
        } catch (createError) {
          // Made meanwhile by another run: fine.
          if (githubErrorFacts(createError).status !== 422) {
            throw explainGitHubError(createError, `creating label ${name}`, this.slug);
          }
        }
      }
    }
    await this.call(`labelling #${number}`, () =>
      this.client.rest.issues.addLabels({ ...this.repository, issue_number: number, labels: [...labels] }),
    );
  }

  /** `org/team` entries are team reviewers (by slug), the rest users. */
  async requestReviewers(number: number, reviewers: readonly string[]): Promise<void> {
    if (reviewers.length === 0) return;
    const teams = reviewers
      .filter((reviewer) => reviewer.includes('/'))
      .map((team) => team.split('/')[1] as string);
    const users = reviewers.filter((reviewer) => !reviewer.includes('/'));
    await this.call(`requesting reviews on #${number}`, () =>
      this.client.rest.pulls.requestReviewers({
        ...this.repository,
        pull_number: number,
        ...(users.length > 0 ? { reviewers: users } : {}),
        ...(teams.length > 0 ? { team_reviewers: teams } : {}),
      }),
    );
  }

  async addAssignees(number: number, assignees: readonly string[]): Promise<void> {
    if (assignees.length === 0) return;
    await this.call(`assigning #${number}`, () =>
      this.client.rest.issues.addAssignees({
        ...this.repository,
        issue_number: number,
        assignees: [...assignees],
      }),
    );
  }

  async enableAutoMerge(
    pull: PullRequest,
    method: MergeMethod,
    expectedHeadOid: string,
  ): Promise<AutoMergeAnswer> {
    try {
      await this.client.graphql(
        `mutation EnableLockAutoMerge($input: EnablePullRequestAutoMergeInput!) {
          enablePullRequestAutoMerge(input: $input) { pullRequest { number } }
        }`,
        { input: { pullRequestId: pull.nodeId, mergeMethod: method.toUpperCase(), expectedHeadOid } },
      );
      return { outcome: 'enabled' };
    } catch (error) {
      const { message, types, status } = githubErrorFacts(error);
      if (types.length === 0 && status !== undefined)
        throw explainGitHubError(error, 'enabling auto-merge', this.slug);
      if (/clean status/i.test(message)) return { outcome: 'clean' };
      if (/auto merge is not allowed/i.test(message)) return { outcome: 'not-allowed' };
      return { outcome: 'refused', message };
    }
  }

  async merge(pull: PullRequest, method: MergeMethod, sha: string): Promise<void> {
    await this.call(`merging #${pull.number}`, () =>
      this.client.rest.pulls.merge({
        ...this.repository,
        pull_number: pull.number,
        merge_method: method,
        sha,
      }),
    );
  }

  async dispatchWorkflow(workflow: string, branch: string): Promise<void> {
    await this.call(`dispatching workflow ${workflow} on ${branch}`, () =>
      this.client.rest.actions.createWorkflowDispatch({
        ...this.repository,
        workflow_id: workflow,
        ref: branch,
      }),
    );
  }

  async markDraft(pull: PullRequest, draft: boolean): Promise<void> {
    const mutation = draft
      ? 'mutation ConvertLockPullToDraft($id: ID!) { convertPullRequestToDraft(input: { pullRequestId: $id }) { clientMutationId } }'
      : 'mutation MarkLockPullReady($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { clientMutationId } }';
    await this.call(draft ? 'turning the pull request into a draft' : 'marking the pull request ready', () =>
      this.client.graphql(mutation, { id: pull.nodeId }),
    );
  }

  async disableAutoMerge(pull: PullRequest): Promise<void> {
    await this.call('disabling auto-merge', () =>
      this.client.graphql(
        'mutation DisableLockAutoMerge($id: ID!) { disablePullRequestAutoMerge(input: { pullRequestId: $id }) { clientMutationId } }',
        { id: pull.nodeId },
      ),
    );
  }
}

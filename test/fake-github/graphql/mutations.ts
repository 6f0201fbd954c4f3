import { GitHubError } from '../state/errors.js';
import type { MergeMethod, PullRequestRecord } from '../state/records.js';
import type { FakeRepository } from '../state/repository.js';
import { decodeNodeId } from '../state/state.js';
import {
  actorNode,
  GitHubGraphQLError,
  type GraphQLContext,
  gitObjectNode,
  pullRequestNode,
  refNode,
} from './nodes.js';

interface CreateCommitOnBranchInput {
  clientMutationId?: string;
  branch: { id?: string; repositoryNameWithOwner?: string; branchName?: string };
  message: { headline: string; body?: string };
  fileChanges?: {
    additions?: Array<{ path: string; contents: string }>;
    deletions?: Array<{ path: string }>;
  };
  expectedHeadOid: string;
}

interface AutoMergeInput {
  clientMutationId?: string;
  pullRequestId: string;
  mergeMethod?: 'MERGE' | 'SQUASH' | 'REBASE';
  commitHeadline?: string;
  commitBody?: string;
  expectedHeadOid?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The mutations our actions use. Error texts marked "observed" in
 * /work/shared/formats/github-actions.md are GitHub's; the others follow GitHub's phrasing.
 */
export function mutationRoot(ctx: GraphQLContext) {
  return {
    createCommitOnBranch: ({ input }: { input: CreateCommitOnBranchInput }) => {
      const { repo, branch } = resolveBranch(ctx, input.branch);
      const tip = repo.branch(branch);
      if (!tip) {
        throw new GitHubGraphQLError(
          `Could not resolve to a Ref with the name 'refs/heads/${branch}'.`,
          'NOT_FOUND',
        );
      }
      if (input.expectedHeadOid !== tip) {
        throw new GitHubGraphQLError(
          `Expected branch to point to "${input.expectedHeadOid}" but it did not. Pull and try again.`,
          'STALE_DATA',
        );
      }
      const deletions = (input.fileChanges?.deletions ?? []).map((deletion) => deletion.path);
      for (const path of deletions) {
        if (repo.readFile(tip, path) === undefined) {
          throw new GitHubGraphQLError(
            `A path was requested for deletion which does not exist as of commit oid \`${tip}\``,
            'UNPROCESSABLE',
          );
        }
      }
      const files: Record<string, Buffer> = {};
      for (const addition of input.fileChanges?.additions ?? []) {
        const encoded = addition.contents.replace(/\s+/g, '');
        if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
          throw new GitHubGraphQLError(
            `Could not decode base64 contents of ${addition.path}`,
            'UNPROCESSABLE',
          );
        }
        files[addition.path] = Buffer.from(encoded, 'base64');
      }
      const { headline, body } = input.message;
      const sha = repo.commitOnto(branch, tip, {
        files,
        deletions,
        message: body ? `${headline}\n\n${body}` : headline,
        author: ctx.state.actor,
        verified: true,
      });
      return {
        clientMutationId: input.clientMutationId ?? null,
        commit: gitObjectNode(ctx, repo, sha),
        ref: refNode(ctx, repo, `refs/heads/${branch}`),
      };
    },

    enablePullRequestAutoMerge: ({ input }: { input: AutoMergeInput }) => {
      const { repo, pull } = resolvePull(ctx, input.pullRequestId);
      const method = (input.mergeMethod ?? 'MERGE').toLowerCase() as MergeMethod;
      if (!repo.settings.allowAutoMerge) {
        throw new GitHubGraphQLError('Auto merge is not allowed for this repository', 'UNPROCESSABLE');
      }
      if (pull.state !== 'open') throw new GitHubGraphQLError('Pull request is closed', 'UNPROCESSABLE');
      if (pull.draft) throw new GitHubGraphQLError('Pull request is a draft', 'UNPROCESSABLE');
      if (pull.mergeableState === 'clean' || pull.mergeableState === 'unstable') {
        throw new GitHubGraphQLError(`Pull request is in ${pull.mergeableState} status`, 'UNPROCESSABLE');
      }
      if (input.expectedHeadOid && input.expectedHeadOid !== pull.head.sha) {
        throw new GitHubGraphQLError(
          'Head branch was modified. Review and try the merge again.',
          'UNPROCESSABLE',
        );
      }
      const allowed = {
        merge: 'allowMergeCommit',
        squash: 'allowSquashMerge',
        rebase: 'allowRebaseMerge',
      } as const;
      if (!repo.settings[allowed[method]]) {
        throw new GitHubGraphQLError(
          `Merge method ${method} merging is not allowed on this repository`,
          'UNPROCESSABLE',
        );
      }
      pull.autoMerge = {
        enabledBy: ctx.state.actor,
        mergeMethod: method,
        commitTitle: input.commitHeadline ?? `${pull.title} (#${pull.number})`,
        commitMessage: input.commitBody ?? '',
        enabledAt: ctx.state.now(),
      };
      return {
        clientMutationId: input.clientMutationId ?? null,
        actor: actorNode(ctx, ctx.state.actor),
        pullRequest: pullRequestNode(ctx, repo, pull),
      };
    },

    disablePullRequestAutoMerge: ({
      input,
    }: {
      input: { pullRequestId: string; clientMutationId?: string };
    }) => {
      const { repo, pull } = resolvePull(ctx, input.pullRequestId);
      pull.autoMerge = null;
      return {
        clientMutationId: input.clientMutationId ?? null,
        actor: actorNode(ctx, ctx.state.actor),
        pullRequest: pullRequestNode(ctx, repo, pull),
      };
    },

    mergePullRequest: ({ input }: { input: AutoMergeInput }) => {
      const { repo, pull } = resolvePull(ctx, input.pullRequestId);
      try {
        repo.mergePullRequest(pull.number, {
          method: (input.mergeMethod ?? 'MERGE').toLowerCase() as MergeMethod,
          title: input.commitHeadline,
          message: input.commitBody,
          sha: input.expectedHeadOid,
        });
      } catch (error) {
        if (error instanceof GitHubError) throw new GitHubGraphQLError(error.message, 'UNPROCESSABLE');
        throw error;
      }
      return {
        clientMutationId: input.clientMutationId ?? null,
        actor: actorNode(ctx, ctx.state.actor),
        pullRequest: pullRequestNode(ctx, repo, pull),
      };
    },
  };
}

function resolveBranch(
  ctx: GraphQLContext,
  branch: CreateCommitOnBranchInput['branch'],
): { repo: FakeRepository; branch: string } {
  if (branch.id) {
    const [kind, repoId, name] = decodeNodeId(branch.id) ?? [];
    const repo = kind === 'ref' ? ctx.state.repositoryById(Number(repoId)) : undefined;
    if (!repo) throw notFoundNode(branch.id);
    return { repo, branch: String(name).replace(/^refs\/heads\//, '') };
  }
  const slug = branch.repositoryNameWithOwner ?? '';
  const repo = ctx.state.findRepository(slug);
  if (!repo)
    throw new GitHubGraphQLError(`Could not resolve to a Repository with the name '${slug}'.`, 'NOT_FOUND');
  return { repo, branch: (branch.branchName ?? '').replace(/^refs\/heads\//, '') };
}

function resolvePull(ctx: GraphQLContext, id: string): { repo: FakeRepository; pull: PullRequestRecord } {
  const [kind, repoId, number] = decodeNodeId(id) ?? [];
  const repo = kind === 'pull' ? ctx.state.repositoryById(Number(repoId)) : undefined;
  const pull = repo?.pullRequest(Number(number));
  if (!repo || !pull) throw notFoundNode(id);
  return { repo, pull };
}

function notFoundNode(id: string): GitHubGraphQLError {
  return new GitHubGraphQLError(`Could not resolve to a node with the global id of '${id}'`, 'NOT_FOUND');
}

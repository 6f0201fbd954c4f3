/** What the fake remembers about each GitHub resource; the REST and GraphQL layers render these. */

export interface Actor {
  login: string;
  id: number;
  nodeId: string;
  type: 'User' | 'Bot' | 'Organization';
  /** Commit identity, e.g. `41898282+github-actions[bot]@users.noreply.github.com`. */
  email: string;
  name: string;
}

export interface RepositorySettings {
  private: boolean;
  description: string | null;
  archived: boolean;
  allowAutoMerge: boolean;
  allowSquashMerge: boolean;
  allowMergeCommit: boolean;
  allowRebaseMerge: boolean;
  deleteBranchOnMerge: boolean;
  /** Settings → Actions → General → "Allow GitHub Actions to create and approve pull requests". */
  actionsCanCreatePullRequests: boolean;
}

/** GitHub's `mergeable_state` (lower case in REST, upper case as GraphQL's `mergeStateStatus`). */
export type MergeableState =
  | 'clean'
  | 'unstable'
  | 'blocked'
  | 'behind'
  | 'dirty'
  | 'draft'
  | 'has_hooks'
  | 'unknown';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface IssueRecord {
  kind: 'issue';
  number: number;
  /** The issue's own id and node id (a pull request also has an issue id, distinct from its PR id). */
  id: number;
  nodeId: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  assignees: string[];
  user: Actor;
  locked: boolean;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export interface AutoMergeRecord {
  enabledBy: Actor;
  mergeMethod: MergeMethod;
  commitTitle: string;
  commitMessage: string;
  enabledAt: Date;
}

export interface PullRequestRecord extends Omit<IssueRecord, 'kind'> {
  kind: 'pull';
  pullId: number;
  pullNodeId: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  draft: boolean;
  merged: boolean;
  mergedAt: Date | null;
  mergedBy: Actor | null;
  mergeCommitSha: string | null;
  /** Set by tests to drive merge and auto-merge behaviour; `draft` is implied by `draft: true`. */
  mergeableState: MergeableState;
  requestedReviewers: string[];
  autoMerge: AutoMergeRecord | null;
  maintainerCanModify: boolean;
}

export type IssueOrPull = IssueRecord | PullRequestRecord;

export interface LabelRecord {
  id: number;
  nodeId: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface IssueCommentRecord {
  id: number;
  nodeId: string;
  issueNumber: number;
  body: string;
  user: Actor;
  createdAt: Date;
  updatedAt: Date;
}

export type ReviewState = 'PENDING' | 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED' | 'DISMISSED';

export interface ReviewRecord {
  id: number;
  nodeId: string;
  pullNumber: number;
  user: Actor;
  body: string;
  state: ReviewState;
  commitId: string;
  submittedAt: Date | null;
  dismissalMessage?: string;
  comments: ReviewCommentRecord[];
}

export interface ReviewCommentRecord {
  id: number;
  nodeId: string;
  reviewId: number;
  pullNumber: number;
  path: string;
  line: number | null;
  startLine: number | null;
  side: 'LEFT' | 'RIGHT';
  position: number | null;
  body: string;
  commitId: string;
  user: Actor;
  createdAt: Date;
  /** The replacement text of a ```suggestion block in the body, if there is one. */
  suggestion: string | undefined;
}

export type DeploymentState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'pending'
  | 'success'
  | 'queued'
  | 'in_progress';

export interface DeploymentStatusRecord {
  id: number;
  nodeId: string;
  state: DeploymentState;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  creator: Actor;
  createdAt: Date;
}

export interface DeploymentRecord {
  id: number;
  nodeId: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: Record<string, unknown> | string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  creator: Actor;
  createdAt: Date;
  statuses: DeploymentStatusRecord[];
}

export interface AnnotationRecord {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
  raw_details?: string;
}

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion =
  | 'action_required'
  | 'cancelled'
  | 'failure'
  | 'neutral'
  | 'success'
  | 'skipped'
  | 'stale'
  | 'timed_out';

export interface CheckRunRecord {
  id: number;
  nodeId: string;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: Date | null;
  completedAt: Date | null;
  externalId: string | null;
  detailsUrl: string | null;
  output: {
    title: string | null;
    summary: string | null;
    text: string | null;
    annotations: AnnotationRecord[];
  };
}

export interface WorkflowDispatchRecord {
  workflowId: string;
  ref: string;
  inputs: Record<string, unknown>;
  actor: Actor;
  at: Date;
}

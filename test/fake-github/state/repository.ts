import { GitHubError, notFound, validationFailed } from './errors.js';
import { type FileMap, type FileTree, GitDatabase, type GitSignature, normalizePath } from './git.js';
import type {
  Actor,
  CheckRunRecord,
  DeploymentRecord,
  IssueCommentRecord,
  IssueOrPull,
  IssueRecord,
  LabelRecord,
  MergeMethod,
  PullRequestRecord,
  RepositorySettings,
  ReviewRecord,
  WorkflowDispatchRecord,
} from './records.js';
import { encodeNodeId, type FakeState } from './state.js';

export interface RepositorySeed {
  id?: number;
  defaultBranch?: string;
  /** The default branch's first commit; a README when absent. */
  files?: FileTree;
  settings?: Partial<RepositorySettings>;
}

export interface CommitChanges {
  files?: FileTree;
  deletions?: string[];
  message?: string;
  author?: Actor;
  /** GitHub signs commits it makes for bots and apps through the API (shown as "Verified"). */
  verified?: boolean;
}

export interface PullRequestSeed {
  head: string;
  base?: string;
  title?: string;
  body?: string | null;
  draft?: boolean;
  labels?: string[];
  user?: Actor;
}

export interface IssueSeed {
  title: string;
  body?: string | null;
  labels?: string[];
  assignees?: string[];
  user?: Actor;
}

const GITHUB_COMMITTER = { name: 'GitHub', email: 'noreply@github.com' };

/** One repository: settings, git data, and the issues, pull requests and records around them. */
export class FakeRepository {
  readonly id: number;
  readonly nodeId: string;
  readonly git = new GitDatabase();
  readonly settings: RepositorySettings;
  defaultBranch: string;
  readonly createdAt: Date;
  readonly labels = new Map<string, LabelRecord>();
  readonly issuesByNumber = new Map<number, IssueOrPull>();
  readonly comments: IssueCommentRecord[] = [];
  readonly reviews: ReviewRecord[] = [];
  readonly deployments: DeploymentRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly workflowDispatches: WorkflowDispatchRecord[] = [];
  private lastNumber = 0;

  constructor(
    readonly state: FakeState,
    readonly owner: Actor,
    readonly name: string,
    seed: RepositorySeed,
  ) {
    this.id = seed.id ?? state.nextId();
    this.nodeId = encodeNodeId('R', ['repository', this.id]);
    this.defaultBranch = seed.defaultBranch ?? 'main';
    this.createdAt = state.now();
    this.settings = {
      private: false,
      description: null,
      archived: false,
      allowAutoMerge: false,
      allowSquashMerge: true,
      allowMergeCommit: true,
      allowRebaseMerge: true,
      deleteBranchOnMerge: false,
      actionsCanCreatePullRequests: true,
      ...seed.settings,
    };
    const files = seed.files ?? { 'README.md': `# ${name}\n` };
    this.commitOnto(this.defaultBranch, undefined, { files, message: 'Initial commit' });
  }

  get fullName(): string {
    return `${this.owner.login}/${this.name}`;
  }

  // ── git, for tests ────────────────────────────────────────────────────────────────────────

  /** The commit a branch points at, or undefined. */
  branch(name: string): string | undefined {
    return this.git.ref(`refs/heads/${name}`);
  }

  branches(): string[] {
    return this.git
      .refNames()
      .filter((ref) => ref.startsWith('refs/heads/'))
      .map((ref) => ref.slice('refs/heads/'.length));
  }

  /** Creates (or resets) `name` with one commit on top of `from` (the default branch) holding `files`. */
  seedBranch(
    name: string,
    files: FileTree,
    options: { from?: string; message?: string; deletions?: string[] } = {},
  ): string {
    const parent = this.resolve(options.from ?? this.defaultBranch);
    return this.commitOnto(name, parent, { files, deletions: options.deletions, message: options.message });
  }

  /** Appends a commit to an existing branch, as a push would. */
  commitFiles(branch: string, changes: CommitChanges): string {
    const tip = this.branch(branch);
    if (!tip) throw new Error(`branch ${branch} does not exist in ${this.fullName}`);
    return this.commitOnto(branch, tip, changes);
  }

  /** A file's text at a branch, tag or SHA; undefined when the file (or ref) does not exist. */
  readFile(ref: string, path: string): string | undefined {
    const sha = this.git.resolveCommit(ref);
    const commit = sha ? this.git.commit(sha) : undefined;
    const entry = commit ? this.git.entryAt(commit.tree, path) : undefined;
    return entry?.type === 'blob' ? this.git.blob(entry.sha)?.content.toString('utf8') : undefined;
  }

  /** Every file's text at a ref. */
  files(ref: string): Record<string, string> {
    const commit = this.git.commit(this.resolve(ref));
    const result: Record<string, string> = {};
    for (const [path, entry] of this.git.flatten(commit?.tree as string)) {
      result[path] = this.git.blob(entry.sha)?.content.toString('utf8') ?? '';
    }
    return result;
  }

  /** A commit SHA for a branch, tag or SHA; throws (a test mistake) when unknown. */
  resolve(ref: string): string {
    const sha = this.git.resolveCommit(ref);
    if (!sha) throw new Error(`no ref or commit ${ref} in ${this.fullName}`);
    return sha;
  }

  commitOnto(branch: string, parent: string | undefined, changes: CommitChanges): string {
    const base = parent ? this.git.flatten(this.git.commit(parent)?.tree as string) : new Map();
    const files: FileMap = new Map(base);
    for (const path of changes.deletions ?? []) files.delete(normalizePath(path));
    for (const [path, entry] of this.git.writeFileTree(changes.files ?? {})) files.set(path, entry);
    const author = changes.author ?? this.state.actor;
    const date = this.state.now();
    const sha = this.git.writeCommit({
      tree: this.git.writeFiles(files),
      parents: parent ? [parent] : [],
      message: changes.message ?? 'Update files',
      author: { name: author.name, email: author.email, date },
      committer: { ...GITHUB_COMMITTER, date },
      verified: changes.verified ?? true,
    });
    this.git.setRef(`refs/heads/${branch}`, sha);
    return sha;
  }

  signature(actor: Actor): GitSignature {
    return { name: actor.name, email: actor.email, date: this.state.now() };
  }

  // ── issues and pull requests ──────────────────────────────────────────────────────────────

  issue(number: number): IssueOrPull | undefined {
    return this.issuesByNumber.get(number);
  }

  pullRequest(number: number): PullRequestRecord | undefined {
    const found = this.issuesByNumber.get(number);
    return found?.kind === 'pull' ? this.refreshHead(found) : undefined;
  }

  pullRequests(filter: { state?: 'open' | 'closed' | 'all'; head?: string; base?: string } = {}) {
    return [...this.issuesByNumber.values()]
      .filter((item): item is PullRequestRecord => item.kind === 'pull')
      .map((pull) => this.refreshHead(pull))
      .filter((pull) => (filter.state ?? 'open') === 'all' || pull.state === (filter.state ?? 'open'))
      .filter((pull) => filter.head === undefined || pull.head.ref === filter.head)
      .filter((pull) => filter.base === undefined || pull.base.ref === filter.base);
  }

  issues(): IssueOrPull[] {
    return [...this.issuesByNumber.values()];
  }

  openIssue(seed: IssueSeed): IssueRecord {
    const now = this.state.now();
    const id = this.state.nextId();
    const issue: IssueRecord = {
      kind: 'issue',
      number: ++this.lastNumber,
      id,
      nodeId: encodeNodeId('I', ['issue', this.id, this.lastNumber]),
      title: seed.title,
      body: seed.body ?? null,
      state: 'open',
      stateReason: null,
      labels: [],
      assignees: [...(seed.assignees ?? [])],
      user: seed.user ?? this.state.actor,
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    this.issuesByNumber.set(issue.number, issue);
    this.addLabels(issue, seed.labels ?? []);
    return issue;
  }

  openPullRequest(seed: PullRequestSeed): PullRequestRecord {
    const headSha = this.branch(seed.head);
    if (!headSha) throw new Error(`branch ${seed.head} does not exist in ${this.fullName}`);
    const issue = this.openIssue({ title: seed.title ?? seed.head, body: seed.body, user: seed.user });
    const pullId = this.state.nextId();
    const pull: PullRequestRecord = {
      ...issue,
      kind: 'pull',
      pullId,
      pullNodeId: encodeNodeId('PR', ['pull', this.id, issue.number]),
      head: { ref: seed.head, sha: headSha },
      base: { ref: seed.base ?? this.defaultBranch },
      draft: seed.draft ?? false,
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      mergeableState: seed.draft ? 'draft' : 'clean',
      requestedReviewers: [],
      autoMerge: null,
      maintainerCanModify: false,
    };
    this.issuesByNumber.set(pull.number, pull);
    this.addLabels(pull, seed.labels ?? []);
    return pull;
  }

  /** Merges as the merge button (or auto-merge) would; throws GitHub's answer when it cannot. */
  mergePullRequest(
    number: number,
    options: { method?: MergeMethod; title?: string; message?: string; sha?: string; by?: Actor } = {},
  ): string {
    const pull = this.pullRequest(number);
    if (!pull) throw notFound();
    const method = options.method ?? 'merge';
    const allowed = {
      merge: 'allowMergeCommit',
      squash: 'allowSquashMerge',
      rebase: 'allowRebaseMerge',
    } as const;
    if (!this.settings[allowed[method]]) {
      const names = { merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' };
      throw new GitHubError(405, `${names[method]} are not allowed on this repository.`);
    }
    if (pull.state !== 'open' || pull.draft || ['dirty', 'blocked'].includes(pull.mergeableState)) {
      throw new GitHubError(405, 'Pull Request is not mergeable');
    }
    if (options.sha && options.sha !== pull.head.sha) {
      throw new GitHubError(409, 'Head branch was modified. Review and try the merge again.');
    }
    const baseSha = this.resolve(pull.base.ref);
    const headSha = pull.head.sha;
    const mergeBase = this.git.mergeBase(baseSha, headSha);
    const merged = this.git.mergeTrees(
      mergeBase ? this.git.commit(mergeBase)?.tree : undefined,
      this.git.commit(baseSha)?.tree as string,
      this.git.commit(headSha)?.tree as string,
    );
    if (!merged.tree) throw new GitHubError(405, 'Merge conflict');
    const by = options.by ?? this.state.actor;
    const date = this.state.now();
    const defaultTitle =
      method === 'merge'
        ? `Merge pull request #${number} from ${this.owner.login}/${pull.head.ref}`
        : `${pull.title} (#${number})`;
    const title = options.title ?? defaultTitle;
    const sha = this.git.writeCommit({
      tree: merged.tree,
      parents: method === 'merge' ? [baseSha, headSha] : [baseSha],
      message: joinMessage(title, options.message ?? (method === 'merge' ? pull.title : '')),
      author: { name: by.name, email: by.email, date },
      committer: { ...GITHUB_COMMITTER, date },
      verified: true,
    });
    this.git.setRef(`refs/heads/${pull.base.ref}`, sha);
    Object.assign(pull, {
      state: 'closed',
      merged: true,
      mergedAt: date,
      mergedBy: by,
      mergeCommitSha: sha,
      closedAt: date,
      updatedAt: date,
      autoMerge: null,
    });
    if (this.settings.deleteBranchOnMerge) this.git.deleteRef(`refs/heads/${pull.head.ref}`);
    return sha;
  }

  /** What GitHub does once the checks of a pull request with auto-merge enabled pass. */
  completeAutoMerge(number: number): string {
    const pull = this.pullRequest(number);
    if (!pull?.autoMerge)
      throw new Error(`pull request #${number} of ${this.fullName} has no auto-merge enabled`);
    const { mergeMethod, commitTitle, commitMessage, enabledBy } = pull.autoMerge;
    pull.mergeableState = 'clean';
    return this.mergePullRequest(number, {
      method: mergeMethod,
      title: commitTitle,
      message: commitMessage,
      by: enabledBy,
    });
  }

  // ── labels and comments ───────────────────────────────────────────────────────────────────

  label(name: string): LabelRecord | undefined {
    return this.labels.get(name.toLowerCase());
  }

  createLabel(seed: { name: string; color?: string; description?: string | null }): LabelRecord {
    if (this.label(seed.name)) {
      throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' });
    }
    const id = this.state.nextId();
    const label: LabelRecord = {
      id,
      nodeId: encodeNodeId('LA', ['label', this.id, seed.name]),
      name: seed.name,
      color: (seed.color ?? 'ededed').replace(/^#/, ''),
      description: seed.description ?? null,
      default: false,
    };
    this.labels.set(seed.name.toLowerCase(), label);
    return label;
  }

  /** Adds labels to an issue, creating missing ones as GitHub does. */
  addLabels(issue: IssueOrPull, names: string[]): void {
    for (const name of names) {
      const label = this.label(name) ?? this.createLabel({ name });
      if (!issue.labels.some((existing) => existing.toLowerCase() === label.name.toLowerCase())) {
        issue.labels.push(label.name);
      }
    }
  }

  commentsOn(issueNumber: number): IssueCommentRecord[] {
    return this.comments.filter((comment) => comment.issueNumber === issueNumber);
  }

  reviewsOn(pullNumber: number): ReviewRecord[] {
    return this.reviews.filter((review) => review.pullNumber === pullNumber);
  }

  /** A pull request's head follows its branch, as on GitHub; a deleted branch keeps the last SHA. */
  private refreshHead(pull: PullRequestRecord): PullRequestRecord {
    const tip = this.branch(pull.head.ref);
    if (tip && pull.state === 'open') pull.head.sha = tip;
    return pull;
  }
}

function joinMessage(title: string, body: string): string {
  return body ? `${title}\n\n${body}` : title;
}

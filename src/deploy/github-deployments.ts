import { stringifyError } from '../core/errors.js';
import type { GitHubClient, RepositoryRef } from '../core/github.js';
import type { Logger } from '../core/logger.js';
import type { NodeStatus } from './rollout.js';

/** Records each node's rollout where people look for it: GitHub's deployments and environments. */
export interface DeploymentRecorder {
  /** Creates the node's deployment, marked in progress; undefined when it could not be recorded. */
  start(node: string, wave: number): Promise<number | undefined>;
  finish(deploymentId: number, node: string, status: NodeStatus, message: string): Promise<void>;
}

export interface GitHubDeploymentsOptions {
  repository: RepositoryRef;
  /** The commit deployed: GITHUB_SHA. */
  ref: string;
  environmentPrefix: string;
  /** The workflow run, linked from every status. */
  logUrl?: string;
  logger: Logger;
}

/** GitHub caps a status description at 140 characters. */
const DESCRIPTION_LIMIT = 140;

/**
 * One GitHub Deployment per node, in the environment `<prefix><node>`. Recording is best effort: a
 * GitHub outage or a missing `deployments: write` permission is a warning, never a failed rollout.
 */
export class GitHubDeployments implements DeploymentRecorder {
  private disabled = false;

  constructor(
    private readonly client: GitHubClient,
    private readonly options: GitHubDeploymentsOptions,
  ) {}

  environmentOf(node: string): string {
    return `${this.options.environmentPrefix}${node}`;
  }

  async start(node: string, wave: number): Promise<number | undefined> {
    if (this.disabled) return undefined;
    const { owner, repo } = this.options.repository;
    try {
      const created = await this.client.rest.repos.createDeployment({
        owner,
        repo,
        ref: this.options.ref,
        environment: this.environmentOf(node),
        task: 'deploy',
        // The workflow decides when to deploy: no merging of the default branch, no status gate.
        auto_merge: false,
        required_contexts: [],
        payload: { node, wave, tool: 'deploy-rs' },
        description: limit(`flakeflow: deploy-rs rollout of ${node}, wave ${wave}`),
        production_environment: true,
        transient_environment: false,
      });
      if (!('id' in created.data)) {
        this.options.logger.warning(
          `GitHub did not create a deployment for ${node}: ${created.data.message ?? ''}`,
        );
        return undefined;
      }
      await this.status(created.data.id, 'in_progress', `deploying ${node}`);
      return created.data.id;
    } catch (error) {
      this.fail(node, error);
      return undefined;
    }
  }

  async finish(deploymentId: number, node: string, status: NodeStatus, message: string): Promise<void> {
    if (this.disabled) return;
    try {
      await this.status(
        deploymentId,
        status === 'deployed' || status === 'unchanged' ? 'success' : 'failure',
        `${status}: ${message}`,
      );
    } catch (error) {
      this.fail(node, error);
    }
  }

  private async status(
    deploymentId: number,
    state: 'in_progress' | 'success' | 'failure',
    description: string,
  ) {
    const { owner, repo } = this.options.repository;
    await this.client.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deploymentId,
      state,
      description: limit(description),
      ...(this.options.logUrl ? { log_url: this.options.logUrl } : {}),
      auto_inactive: true,
    });
  }

  private fail(node: string, error: unknown): void {
    if (this.disabled) return;
    const status = (error as { status?: unknown }).status;
    if (status === 403 || status === 404) {
      this.disabled = true;
      this.options.logger.warning(
        `Could not record GitHub deployments (HTTP ${status}): give the job \`permissions: deployments: write\`; ` +
          'the rollout goes on without them',
      );
      return;
    }
    this.options.logger.warning(
      `Could not record the GitHub deployment of ${node}: ${stringifyError(error)}`,
    );
  }
}

function limit(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}

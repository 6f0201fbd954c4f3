import { describe, expect, it } from 'vitest';
import type { AnnotationRecord } from './state/records.js';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({
  repositories: [
    {
      slug: 'fleet/infra',
      files: {
        '.github/workflows/ci.yml': 'on:\n  workflow_dispatch:\n',
        '.github/workflows/nightly.yml': 'on: push\n',
      },
    },
  ],
  validateResponses: true,
});
const target = { owner: 'fleet', repo: 'infra' };

function annotations(count: number, from = 0): AnnotationRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    path: 'hosts/web.nix',
    start_line: from + i + 1,
    end_line: from + i + 1,
    annotation_level: 'warning' as const,
    message: `finding ${from + i}`,
  }));
}

describe('deployments', () => {
  it('records a deployment and its statuses, marking the previous one inactive', async () => {
    const repos = github.client.rest.repos;
    const first = await repos.createDeployment({
      ...target,
      ref: 'main',
      environment: 'web',
      auto_merge: false,
    });
    if (first.status !== 201) throw new Error('expected a deployment');
    await repos.createDeploymentStatus({ ...target, deployment_id: first.data.id, state: 'success' });
    const second = await repos.createDeployment({
      ...target,
      ref: 'main',
      environment: 'web',
      auto_merge: false,
    });
    if (second.status !== 201) throw new Error('expected a deployment');
    await repos.createDeploymentStatus({ ...target, deployment_id: second.data.id, state: 'in_progress' });
    await repos.createDeploymentStatus({
      ...target,
      deployment_id: second.data.id,
      state: 'success',
      environment_url: 'https://web.example.org',
    });
    const { data: statuses } = await repos.listDeploymentStatuses({
      ...target,
      deployment_id: first.data.id,
    });
    expect(statuses.map((s) => s.state)).toEqual(['inactive', 'success']);
    const { data: listed } = await repos.listDeployments({ ...target, environment: 'web' });
    expect(listed.map((d) => d.id)).toEqual([second.data.id, first.data.id]);
  });

  it('refuses to deploy a commit whose checks failed', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.checkRuns.push({
      id: 1,
      nodeId: 'CR_1',
      name: 'gate',
      headSha: repo.branch('main') as string,
      status: 'completed',
      conclusion: 'failure',
      startedAt: null,
      completedAt: null,
      externalId: null,
      detailsUrl: null,
      output: { title: null, summary: null, text: null, annotations: [] },
    });
    await expect(github.client.rest.repos.createDeployment({ ...target, ref: 'main' })).rejects.toMatchObject(
      {
        status: 409,
        message: expect.stringContaining('Conflict: Commit status checks failed for main.'),
      },
    );
  });
});

describe('check runs', () => {
  it('appends annotations across updates, 50 per request', async () => {
    const checks = github.client.rest.checks;
    const headSha = github.server.repo('fleet/infra').branch('main') as string;
    const { data: created } = await checks.create({
      ...target,
      name: 'gate',
      head_sha: headSha,
      status: 'in_progress',
      output: { title: 'Gate', summary: 'running', annotations: annotations(50) },
    });
    await checks.update({
      ...target,
      check_run_id: created.id,
      conclusion: 'failure',
      output: { title: 'Gate', summary: '60 findings', annotations: annotations(10, 50) },
    });
    const { data: run } = await checks.get({ ...target, check_run_id: created.id });
    expect(run).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { annotations_count: 60 },
    });
    const all = await github.client.paginate(checks.listAnnotations, {
      ...target,
      check_run_id: created.id,
      per_page: 25,
    });
    expect(all.map((a) => a.message)).toEqual(annotations(60).map((a) => a.message));
  });

  it('rejects 51 annotations in one request, as the contract says', async () => {
    const headSha = github.server.repo('fleet/infra').branch('main') as string;
    await expect(
      github.client.rest.checks.create({
        ...target,
        name: 'gate',
        head_sha: headSha,
        output: { title: 'Gate', summary: 'too many', annotations: annotations(51) },
      }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('must NOT have more than 50 items'),
    });
    expect(github.server.takeViolations()).toMatchObject([
      {
        kind: 'invalid-request',
        operationId: 'checks/create',
        messages: ['requestBody/output/annotations must NOT have more than 50 items'],
      },
    ]);
    expect(github.server.repo('fleet/infra').checkRuns).toEqual([]);
  });
});

describe('workflow dispatch', () => {
  it('records a dispatch of a workflow that has the trigger', async () => {
    const { status } = await github.client.rest.actions.createWorkflowDispatch({
      ...target,
      workflow_id: 'ci.yml',
      ref: 'main',
      inputs: { reason: 'lock update' },
    });
    expect(status).toBe(204);
    expect(github.server.repo('fleet/infra').workflowDispatches).toMatchObject([
      { workflowId: 'ci.yml', ref: 'main', inputs: { reason: 'lock update' } },
    ]);
  });

  it('answers 404 for a missing workflow and 422 for one without the trigger', async () => {
    const actions = github.client.rest.actions;
    await expect(
      actions.createWorkflowDispatch({ ...target, workflow_id: 'nope.yml', ref: 'main' }),
    ).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      actions.createWorkflowDispatch({ ...target, workflow_id: 'nightly.yml', ref: 'main' }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("does not have 'workflow_dispatch' trigger"),
    });
    expect(github.server.repo('fleet/infra').workflowDispatches).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { eventPayload } from './events.js';
import { FakeState } from './state/state.js';

const headSha = 'a'.repeat(40);
const baseSha = 'b'.repeat(40);

describe('event payloads', () => {
  it('builds pull_request.opened from GitHub’s example, retargeted to our repository', () => {
    const payload = eventPayload('pull_request', {
      action: 'opened',
      repository: 'fleet/infra',
      number: 7,
      headRef: 'lock-update',
      headSha,
      baseSha,
    });
    const pull = payload.pull_request as Record<string, unknown> & {
      head: Record<string, unknown>;
      base: Record<string, unknown>;
    };
    expect(payload).toMatchObject({
      action: 'opened',
      number: 7,
      repository: { full_name: 'fleet/infra', name: 'infra' },
    });
    expect(pull.head).toMatchObject({ ref: 'lock-update', sha: headSha, label: 'fleet:lock-update' });
    expect(pull.base).toMatchObject({ sha: baseSha });
    expect(pull.url).toMatch(/\/repos\/fleet\/infra\/pulls\/7$/);
    expect(pull._links).toMatchObject({ html: { href: 'https://github.com/fleet/infra/pull/7' } });
    expect(JSON.stringify(payload)).not.toContain('Codertocat/Hello-World');
  });

  it('builds pull_request.synchronize with before and after', () => {
    const payload = eventPayload('pull_request', {
      action: 'synchronize',
      repository: 'fleet/infra',
      headSha,
      before: baseSha,
    });
    expect(payload).toMatchObject({ action: 'synchronize', before: baseSha, after: headSha });
  });

  it('takes id, node id and default branch from a fake repository', () => {
    const repo = new FakeState().addRepository('fleet/infra', { defaultBranch: 'trunk' });
    const payload = eventPayload('push', { repository: repo, sha: headSha, before: baseSha });
    expect(payload).toMatchObject({
      ref: 'refs/heads/trunk',
      before: baseSha,
      after: headSha,
      created: false,
      repository: { id: repo.id, node_id: repo.nodeId, default_branch: 'trunk', full_name: 'fleet/infra' },
      head_commit: { id: headSha },
    });
  });

  it('builds workflow_dispatch with inputs and schedule as GitHub sends it', () => {
    expect(
      eventPayload('workflow_dispatch', {
        repository: 'fleet/infra',
        inputs: { hosts: 'web' },
        workflow: '.github/workflows/deploy.yml',
      }),
    ).toMatchObject({
      inputs: { hosts: 'web' },
      ref: 'refs/heads/main',
      workflow: '.github/workflows/deploy.yml',
    });
    const schedule = eventPayload('schedule', { repository: 'fleet/infra', schedule: '0 4 * * 1' });
    expect(schedule).toMatchObject({ schedule: '0 4 * * 1', repository: { full_name: 'fleet/infra' } });
    expect(schedule).not.toHaveProperty('sender');
  });

  it('does not let one test’s patch leak into the next payload', () => {
    eventPayload('pull_request', { repository: 'fleet/infra', number: 9 });
    expect(eventPayload('pull_request')).toMatchObject({
      number: 2,
      repository: { full_name: 'Codertocat/Hello-World' },
    });
  });
});

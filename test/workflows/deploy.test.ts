// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { describe, expect, it } from 'vitest';
import { type Contexts, condition, interpolate } from './expression.js';
import { readWorkflow } from './support.js';
import { triggersOf } from './wiring.js';

const reusable = readWorkflow('.github/workflows/deploy.yml');
const caller = readWorkflow('workflows/deploy.yml');

function contexts(
  event: string,
  options: { ref?: string; fork?: boolean; allowPush?: boolean } = {},
): Contexts {
  return {
    github: {
      event_name: event,
      ref: options.ref ?? 'refs/heads/main',
      repository: 'alice/homelab',
      event: { repository: { default_branch: 'main', fork: options.fork ?? false } },
    },
    inputs: { 'allow-push': options.allowPush ?? false, environment: 'production', path: '.' },
  };
}

describe('deploy.yml (reusable) decides by event whether it deploys', () => {
  const cases: Array<[string, Parameters<typeof contexts>[1], boolean]> = [
    ['workflow_dispatch', {}, true],
    ['workflow_dispatch', { ref: 'refs/heads/try-kernel' }, true],
    ['workflow_dispatch', { fork: true }, false],
    ['pull_request', {}, false],
    ['pull_request', { allowPush: true, ref: 'refs/pull/7/merge' }, false],
    ['pull_request_review', { allowPush: true }, false],
    ['merge_group', { allowPush: true }, false],
    ['schedule', { allowPush: true }, false],
    ['push', {}, false],
    ['push', { allowPush: true }, true],
    ['push', { allowPush: true, ref: 'refs/heads/feature' }, false],
    ['push', { allowPush: true, ref: 'refs/tags/v1' }, false],
    ['push', { allowPush: true, fork: true }, false],
  ];

  it.each(cases)('%s %o → deploys: %s', (event, options, deploys) => {
    const given = contexts(event, options);
    expect(condition(reusable.jobs.deploy.if, given)).toBe(deploys);
    // Exactly one of the two runs: a refused event fails loudly instead of skipping.
    expect(condition(reusable.jobs.refuse.if, given)).toBe(!deploys);
  });

  it('is only callable, and the caller is only dispatched (push stays an opt-in)', () => {
    expect(Object.keys(triggersOf(reusable))).toEqual(['workflow_call']);
    expect(Object.keys(triggersOf(caller))).toEqual(['workflow_dispatch']);
    expect(Object.keys(caller.on.workflow_dispatch.inputs)).toEqual(['targets', 'strategy', 'dry-activate']);
    expect(caller.on.workflow_dispatch.inputs['dry-activate'].type).toBe('boolean');
    expect(caller.on.workflow_dispatch.inputs.strategy.options).toEqual([
      'canary',
      'waves',
      'one-by-one',
      'all-at-once',
    ]);
  });

  it('runs in the environment, one deployment per fleet, never cancelling one in progress', () => {
    const deploy = reusable.jobs.deploy;
    expect(deploy.environment).toBe('${{ inputs.environment }}');
    expect(deploy.concurrency['cancel-in-progress']).toBe(false);
    expect(interpolate(deploy.concurrency.group, contexts('workflow_dispatch'))).toBe(
      'flakeflow-deploy-alice/homelab-.',
    );
  });

  it('runs on the self-hosted labels the caller gives, as one label or a JSON list', () => {
    const runsOn = reusable.jobs.deploy['runs-on'];
    const labels = (value: string) => ({ inputs: { 'runner-labels': value } });
    expect(interpolate(runsOn, labels('["self-hosted", "deploy"]'))).toBe('["self-hosted","deploy"]');
    expect(interpolate(runsOn, labels('deploy-box'))).toBe('deploy-box');
    expect(reusable.on.workflow_call.inputs['runner-labels'].required).toBe(true);
    expect(caller.jobs.deploy.with['runner-labels']).toContain('self-hosted');
  });

  it('hands the SSH key and known hosts to the action only, never to a script', () => {
    const steps = reusable.jobs.deploy.steps as Array<Record<string, unknown>>;
    const deploy = steps.find((step) => step.id === 'deploy') as { with: Record<string, string> };
    expect(deploy.with['ssh-private-key']).toBe('${{ secrets.ssh-private-key }}');
    expect(deploy.with['known-hosts']).toBe('${{ secrets.known-hosts }}');
    for (const step of steps) {
      if (step === deploy) continue;
      expect(JSON.stringify(step)).not.toMatch(/secrets\./);
    }
    expect(caller.jobs.deploy.secrets).toEqual({
      'ssh-private-key': '${{ secrets.DEPLOY_SSH_PRIVATE_KEY }}',
      'known-hosts': '${{ secrets.DEPLOY_KNOWN_HOSTS }}',
    });
  });

  it('passes the dispatch inputs through with their defaults when they are empty', () => {
    const given = { inputs: { targets: '', strategy: '', 'dry-activate': null } };
    const withInputs = caller.jobs.deploy.with as Record<string, string>;
    expect(interpolate(withInputs.targets as string, given)).toBe('all');
    expect(interpolate(withInputs.strategy as string, given)).toBe('canary');
    expect(interpolate(withInputs['dry-activate'] as string, given)).toBe('false');
    const chosen = { inputs: { targets: '@canary', strategy: 'waves', 'dry-activate': true } };
    expect(interpolate(withInputs.targets as string, chosen)).toBe('@canary');
    expect(interpolate(withInputs['dry-activate'] as string, chosen)).toBe('true');
  });
});

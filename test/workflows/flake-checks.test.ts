// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Contexts, condition, interpolate } from './expression.js';
import { type Loose, readWorkflow, stepNamed } from './support.js';

const workflow = readWorkflow('.github/workflows/flake-checks.yml');
const jobs = workflow.jobs as Record<string, Loose>;
const BASE = '3f1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e';

function event(name: string, inputs: Record<string, unknown> = {}): Contexts {
  const payload: Contexts =
    name === 'pull_request'
      ? { pull_request: { base: { sha: BASE } } }
      : name === 'merge_group'
        ? { merge_group: { base_sha: BASE } }
        : {};
  return {
    github: { event_name: name, event: payload },
    inputs: {
      'changed-only': true,
      compare: true,
      'push-on-pull-request': false,
      'push-to': 's3://cache',
      ...inputs,
    },
    matrix: { host: 'homeserver', drvPath: '/nix/store/x.drv', runner: 'ubuntu-latest' },
    strategy: { 'job-index': 3 },
  };
}

describe('flake-checks.yml', () => {
  it('builds the matrix the hosts job lists, and skips the build when it is empty', () => {
    expect(jobs.build.needs).toBe('hosts');
    expect(jobs.build.strategy.matrix).toBe('${{ fromJSON(needs.hosts.outputs.matrix) }}');
    expect(jobs.build.strategy['fail-fast']).toBe(false);
    expect(jobs.build['runs-on']).toBe('${{ matrix.runner }}');
    const hosts = (empty: string) => ({ needs: { hosts: { outputs: { empty }, result: 'success' } } });
    expect(condition(jobs.build.if, hosts('true'))).toBe(false);
    expect(condition(jobs.build.if, hosts('false'))).toBe(true);
    expect(jobs.hosts.outputs.matrix).toBe('${{ steps.hosts.outputs.matrix }}');
  });

  it('hands every result-file to the report through artifacts, failed builds too', () => {
    const upload = stepNamed(jobs.build, 'Upload the result');
    const download = stepNamed(jobs.report, 'Download the build results');
    const report = stepNamed(jobs.report, 'Report');
    expect(upload.with.path).toBe('${{ steps.build.outputs.result-file }}');
    const name = interpolate(upload.with.name, event('pull_request'));
    const pattern = new RegExp(
      `^${download.with.pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
    );
    expect(name).toBe('flakeflow-result-3');
    expect(name).toMatch(pattern);
    expect(download.with['merge-multiple']).toBe(true);
    expect(report.with.results).toBe(download.with.path);
    expect(report.with.hosts).toBe('${{ needs.hosts.outputs.hosts }}');
    const built = { steps: { build: { outputs: { 'result-file': '/tmp/r.json' } } } };
    expect(condition(upload.if, built, 'failure')).toBe(true);
    expect(condition(upload.if, { steps: { build: { outputs: { 'result-file': '' } } } }, 'failure')).toBe(
      false,
    );
  });

  it('reports whenever the hosts were listed, even when builds failed or were skipped', () => {
    expect(jobs.report.needs).toEqual(['hosts', 'build']);
    const needs = (hosts: string, build: string) => ({
      needs: { hosts: { result: hosts }, build: { result: build } },
    });
    expect(condition(jobs.report.if, needs('success', 'failure'), 'failure')).toBe(true);
    expect(condition(jobs.report.if, needs('success', 'skipped'))).toBe(true);
    expect(condition(jobs.report.if, needs('failure', 'skipped'), 'failure')).toBe(false);
    expect(jobs.report.permissions['pull-requests']).toBe('write');
    const download = stepNamed(jobs.report, 'Download the build results');
    expect(condition(download.if, needs('success', 'skipped'))).toBe(false);
  });

  it('ends in one aggregate job that always runs and needs every other job', () => {
    const aggregate = jobs['flake-checks'];
    expect(aggregate.name).toBe('flake-checks');
    expect(aggregate.if).toBe('always()');
    expect([...aggregate.needs].sort()).toEqual(
      Object.keys(jobs)
        .filter((id) => id !== 'flake-checks')
        .sort(),
    );
    expect(aggregate.permissions).toEqual({});
  });

  it('compares with, and lists changes against, the base of pull requests and merge queues only', () => {
    const hostsStep = stepNamed(jobs.hosts, 'List the hosts');
    const build = stepNamed(jobs.build, 'Build');
    for (const name of ['pull_request', 'merge_group']) {
      expect(interpolate(hostsStep.with['changed-since'], event(name))).toBe(BASE);
      expect(interpolate(build.with['compare-to'], event(name))).toBe(BASE);
      expect(interpolate(stepNamed(jobs.hosts, 'Check out the fleet').with['fetch-depth'], event(name))).toBe(
        '0',
      );
    }
    expect(
      interpolate(hostsStep.with['changed-since'], event('pull_request', { 'changed-only': false })),
    ).toBe('');
    expect(interpolate(build.with['compare-to'], event('pull_request', { compare: false }))).toBe('');
    for (const name of ['push', 'workflow_dispatch', 'schedule']) {
      expect(interpolate(hostsStep.with['changed-since'], event(name))).toBe('');
      expect(interpolate(build.with['compare-to'], event(name))).toBe('');
      expect(interpolate(stepNamed(jobs.build, 'Check out the fleet').with['fetch-depth'], event(name))).toBe(
        '1',
      );
    }
  });

  it('pushes closures of reviewed code only, unless told otherwise', () => {
    const pushTo = stepNamed(jobs.build, 'Build').with['push-to'];
    expect(interpolate(pushTo, event('push'))).toBe('s3://cache');
    expect(interpolate(pushTo, event('merge_group'))).toBe('s3://cache');
    expect(interpolate(pushTo, event('pull_request'))).toBe('');
    expect(interpolate(pushTo, event('pull_request', { 'push-on-pull-request': true }))).toBe('s3://cache');
    expect(stepNamed(jobs.build, 'Build').with['signing-key']).toBe('${{ secrets.signing-key }}');
  });

  it('declares the contract inputs and secrets of the issue', () => {
    const call = workflow.on.workflow_call;
    for (const input of [
      'path',
      'runners',
      'kinds',
      'changed-only',
      'cache-urls',
      'push-to',
      'nix-installer',
    ]) {
      expect(call.inputs, input).toHaveProperty(input);
    }
    expect(call.secrets).toEqual({
      'signing-key': expect.objectContaining({ required: false }),
      'cache-token': expect.objectContaining({ required: false }),
      'cachix-auth-token': expect.objectContaining({ required: false }),
      'cache-env': expect.objectContaining({ required: false }),
      'inputs-ssh-key': expect.objectContaining({ required: false }),
      'nix-access-tokens': expect.objectContaining({ required: false }),
      netrc: expect.objectContaining({ required: false }),
    });
  });
});

describe('the aggregate job script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flakeflow-workflows-aggregate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = jobs['flake-checks'].steps[0].run as string;

  function verdict(results: Record<string, string>, nothingToBuild = false) {
    const summary = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
    const run = spawnSync('/bin/bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      env: {
        PATH: process.env.PATH,
        GITHUB_STEP_SUMMARY: summary,
        GATE: 'success',
        HOSTS: 'success',
        BUILD: 'success',
        REPORT: 'success',
        NOTHING_TO_BUILD: String(nothingToBuild),
        FROM_A_FORK: 'false',
        ...results,
      },
      encoding: 'utf8',
    });
    return { exitCode: run.status, stdout: run.stdout, summary: readFileSync(summary, 'utf8') };
  }

  it('passes when every job passed', () => {
    const result = verdict({});
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain('| gate | ✅ success |');
    expect(result.summary).not.toContain('fork');
  });

  it('says in the summary when a fork run was kept off the runners of the caller', () => {
    const result = verdict({ FROM_A_FORK: 'true' });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain(
      'This run is for a fork or a pull request from one: every job ran on GitHub-hosted runners',
    );
  });

  it('passes a skipped build only when there was nothing to build', () => {
    expect(verdict({ BUILD: 'skipped' }, true).exitCode).toBe(0);
    expect(verdict({ BUILD: 'skipped' }, true).summary).toContain('| build | ⏭️ skipped |');
    expect(verdict({ BUILD: 'skipped' }, false).exitCode).toBe(1);
  });

  it.each([
    ['GATE', 'failure'],
    ['HOSTS', 'cancelled'],
    ['BUILD', 'failure'],
    ['REPORT', 'skipped'],
  ])('fails when %s is %s, and says which', (job, result) => {
    const outcome = verdict({ [job]: result });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stdout).toContain(
      `::error title=flake-checks::Not passed: ${job.toLowerCase()} ${result}`,
    );
    expect(outcome.summary).toContain(`| ${job.toLowerCase()} | ❌ ${result} |`);
  });
});

describe('a fork never reaches a self-hosted runner', () => {
  const SELF_HOSTED = '["self-hosted", "nix"]';
  const HOME = { full_name: 'alice/homelab', fork: false };
  const FORK = { full_name: 'mallory/homelab', fork: true };
  const runs: Array<{ name: string; event: string; payload: Record<string, unknown>; fork: boolean }> = [
    { name: 'a push', event: 'push', payload: { repository: HOME }, fork: false },
    {
      name: 'a merge queue entry',
      event: 'merge_group',
      payload: { repository: HOME, merge_group: { base_sha: BASE } },
      fork: false,
    },
    {
      name: 'a pull request from a branch',
      event: 'pull_request',
      payload: { repository: HOME, pull_request: { base: { sha: BASE }, head: { repo: HOME } } },
      fork: false,
    },
    {
      name: 'a pull request from a fork',
      event: 'pull_request',
      payload: { repository: HOME, pull_request: { base: { sha: BASE }, head: { repo: FORK } } },
      fork: true,
    },
    {
      name: 'a pull request from a deleted fork',
      event: 'pull_request',
      payload: { repository: HOME, pull_request: { base: { sha: BASE }, head: { repo: null } } },
      fork: true,
    },
    { name: 'a push in a fork', event: 'push', payload: { repository: FORK }, fork: true },
  ];
  const contexts = (run: (typeof runs)[number]): Contexts => ({
    github: { event_name: run.event, repository: HOME.full_name, event: run.payload as Contexts },
    inputs: { 'runs-on': SELF_HOSTED, runners: 'x86_64-linux: [self-hosted, nix]' },
    needs: {},
  });

  it.each(runs)('gate, hosts, report and flake-checks: $name', (run) => {
    for (const job of ['gate', 'hosts', 'report', 'flake-checks']) {
      const runsOn = interpolate(jobs[job]['runs-on'], contexts(run));
      expect({ job, runsOn }).toEqual({ job, runsOn: run.fork ? 'ubuntu-latest' : '["self-hosted","nix"]' });
    }
  });

  it.each(runs)('the builds, through the runners the hosts job is given: $name', (run) => {
    // The matrix names each host's runner from `runners`: empty means flakeflow's GitHub-hosted defaults.
    const runners = interpolate(stepNamed(jobs.hosts, 'List the hosts').with.runners, contexts(run));
    expect(runners).toBe(run.fork ? '' : 'x86_64-linux: [self-hosted, nix]');
  });

  it.each(runs)('the summary says so: $name', (run) => {
    const env = jobs['flake-checks'].steps[0].env as Record<string, string>;
    expect(interpolate(env.FROM_A_FORK as string, contexts(run))).toBe(String(run.fork));
  });
});

describe('the binary caches of flake-checks.yml', () => {
  const steps = (job: string) => jobs[job].steps as Loose[];
  const named = (job: string, name: string) => steps(job).find((step) => step.name === name);

  it('pulls from Cachix in every job, with the token only where no pull request program runs, and pushes from builds', () => {
    const pinned = /^cachix\/cachix-action@[0-9a-f]{40}$/;
    for (const job of ['gate', 'hosts', 'build']) {
      const step = named(job, 'Use Cachix');
      expect(step?.uses, job).toMatch(pinned);
      expect(step?.with.name).toBe('${{ inputs.cachix-cache }}');
    }
    expect(named('gate', 'Use Cachix')?.with).not.toHaveProperty('authToken');
    expect(named('hosts', 'Use Cachix')?.with.skipPush).toBe(true);
    expect(named('build', 'Use Cachix')?.with.authToken).toBe('${{ secrets.cachix-auth-token }}');
    expect(named('build', 'Use Cachix')?.with.skipPush).toBe(
      "${{ github.event_name == 'pull_request' && !inputs.push-on-pull-request }}",
    );
  });

  it('exports cache-env in the hosts and build jobs only, before their action', () => {
    for (const [job, action] of [
      ['hosts', 'List the hosts'],
      ['build', 'Build'],
    ] as const) {
      const names = steps(job).map((step) => step.name);
      expect(names.indexOf('Export the cache credentials')).toBeGreaterThan(-1);
      expect(names.indexOf('Export the cache credentials')).toBeLessThan(names.indexOf(action));
    }
    for (const job of ['gate', 'report', 'flake-checks']) {
      expect(JSON.stringify(jobs[job])).not.toContain('cache-env');
    }
  });

  it('keeps one store cache entry per host and flake.lock, pinned by SHA', () => {
    const step = named('build', 'Keep the Nix store between runs');
    expect(step?.uses).toMatch(/^nix-community\/cache-nix-action@[0-9a-f]{40}$/);
    expect(step?.if).toBe('inputs.store-cache');
    expect(step?.with['primary-key']).toContain('${{ matrix.host }}');
    expect(step?.with['primary-key']).toContain("hashFiles(format('{0}/flake.lock', inputs.path))");
  });

  it('gives the build its push-command and push-env, and the actions their netrc', () => {
    const build = named('build', 'Build')?.with;
    expect(build['push-command']).toBe(
      "${{ (github.event_name != 'pull_request' || inputs.push-on-pull-request) && inputs.push-command || '' }}",
    );
    expect(build['push-env']).toBe('${{ inputs.push-env }}');
    for (const [job, step] of [
      ['gate', 'Gate'],
      ['hosts', 'List the hosts'],
      ['build', 'Build'],
    ] as const) {
      expect(named(job, step)?.with.netrc, job).toBe('${{ secrets.netrc }}');
    }
    expect(JSON.stringify(workflow)).not.toContain('netrc-file');
  });
});

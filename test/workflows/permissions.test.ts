// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repositoriesShape } from '../../src/backup/config.js';
import { condition, interpolate } from './expression.js';
import { permissionsOf } from './permissions.js';
import { CALLERS, type Loose, REPO, REUSABLE, readText, readWorkflow, stepNamed } from './support.js';
import { loadWiringContext } from './wiring.js';

/** What each job may do with GITHUB_TOKEN, and nothing more. */
const LEAST_PRIVILEGE: Record<string, Record<string, Record<string, string>>> = {
  'flake-checks.yml': {
    gate: { contents: 'read', 'pull-requests': 'read' },
    hosts: { contents: 'read' },
    build: { contents: 'read' },
    report: { contents: 'read', 'pull-requests': 'write' },
    'flake-checks': {},
  },
  'lock-update.yml': { 'lock-update': { contents: 'write', 'pull-requests': 'write', actions: 'write' } },
  'deploy.yml': { refuse: {}, deploy: { contents: 'read', deployments: 'write' } },
  'backup-verify.yml': { verify: { contents: 'read', issues: 'write' } },
  'fleet-status.yml': { status: { contents: 'read', issues: 'write' } },
};

/**
 * Third-party actions and the commits their release tags pointed at. Evidence for each pin is listed in
 * the report of issue 8 (release notes, Dependabot bumps and runner logs that name tag and SHA).
 */
const PINS: Record<string, string> = {
  'actions/checkout': 'de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2',
  'actions/upload-artifact': 'b7c566a772e6b6bfb58ed0dc250532a479d7789f # v6.0.0',
  'actions/download-artifact': '37930b1c2abaa49bbe596cd826c3c89aef350131 # v7.0.0',
  'actions/create-github-app-token': 'bcd2ba49218906704ab6c1aa796996da409d3eb1 # v3.2.0',
  'cachix/install-nix-action': '13d8dd58da0234aa297dedd986986ccb8e7f3e24 # v31.11.1',
  'DeterminateSystems/nix-installer-action': 'ef8a148080ab6020fd15196c2084a2eea5ff2d25 # v22',
  // Issue 23: public fleet workflows pin v16 at this commit (several repositories name tag and SHA together).
  'cachix/cachix-action': '0fc020193b5a1fa3ac4575aa3a7d3aa6a35435ad # v16',
  // Issue 23: the commit a public workflow pins; the v6.1.3 tag is what we believe it is, not yet checked.
  'nix-community/cache-nix-action': '135667ec418502fa5a3598af6fb9eb733888ce6a # v6.1.3',
};

const ours = [
  ...REUSABLE.map((file) => `.github/workflows/${file}`),
  ...CALLERS.map((file) => `workflows/${file}`),
];

describe('permissions', () => {
  it.each(REUSABLE)('%s gives each job exactly what it needs', (file) => {
    const jobs = readWorkflow(`.github/workflows/${file}`).jobs as Record<string, Loose>;
    const granted = Object.fromEntries(Object.entries(jobs).map(([id, job]) => [id, job.permissions]));
    expect(granted).toEqual(LEAST_PRIVILEGE[file]);
  });

  it.each(CALLERS)(
    'the caller %s grants nothing at the top and exactly what the workflow asks to its job',
    (file) => {
      const workflows = loadWiringContext(REPO).workflows;
      const caller = readWorkflow(`workflows/${file}`);
      expect(caller.permissions).toEqual({});
      const [job] = Object.values(caller.jobs as Record<string, Loose>);
      const called = workflows.get(String(job.uses).replace(/^.*\/([^/@]+)@.*$/, '$1'));
      expect(called).toBeDefined();
      expect(permissionsOf(job.permissions)).toEqual(called?.permissions);
    },
  );
});

describe('third-party actions', () => {
  it.each(ours)('%s uses only the pinned releases', (path) => {
    const pins = readText(path)
      .split('\n')
      .map((line) => /^\s*(?:-\s+)?uses:\s*([^./\s][^@\s]*)@(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null && !match[1]?.startsWith('flakeflow/'))
      .map((match) => [match[1] as string, (match[2] as string).trim()]);
    for (const [action, pin] of pins)
      expect({ action, pin }).toEqual({ action, pin: PINS[action as string] });
  });

  it('installs Nix only where it is missing, with the installer chosen', () => {
    const job = readWorkflow('.github/workflows/flake-checks.yml').jobs.build;
    const cachix = stepNamed(job, 'Install Nix (cachix');
    const determinate = stepNamed(job, 'Install Nix (Determinate');
    const given = (found: string, installer: string) => ({
      steps: { nix: { outputs: { found } } },
      inputs: { 'nix-installer': installer },
    });
    expect(condition(cachix.if, given('true', 'cachix'))).toBe(false);
    expect(condition(cachix.if, given('false', 'cachix'))).toBe(true);
    expect(condition(determinate.if, given('false', 'cachix'))).toBe(false);
    expect(condition(determinate.if, given('false', 'determinate'))).toBe(true);
    expect(condition(determinate.if, given('true', 'determinate'))).toBe(false);
  });
});

describe('lock-update.yml', () => {
  const workflow = readWorkflow('.github/workflows/lock-update.yml');
  const job = workflow.jobs['lock-update'];

  it('pushes with the app token, else the PAT, else GITHUB_TOKEN', () => {
    const token = stepNamed(job, 'Update flake.lock').with.token as string;
    const given = (app: string, pat: string) => ({
      steps: { app: { outputs: { token: app } } },
      secrets: { token: pat },
      github: { token: 'ghs_workflow' },
    });
    expect(interpolate(token, given('ghs_app', 'github_pat'))).toBe('ghs_app');
    expect(interpolate(token, given('', 'github_pat'))).toBe('github_pat');
    expect(interpolate(token, given('', ''))).toBe('ghs_workflow');
    const app = stepNamed(job, 'Get the app token');
    expect(condition(app.if, { inputs: { 'app-client-id': '' } })).toBe(false);
    expect(condition(app.if, { inputs: { 'app-client-id': 'Iv23liAbc' } })).toBe(true);
  });

  it('never runs two updates at once', () => {
    expect(job.concurrency['cancel-in-progress']).toBe(false);
  });

  it('is called with a dispatch-workflow that the callers ship, and that can be dispatched', () => {
    const caller = readWorkflow('workflows/lock-update.yml').jobs['lock-update'];
    const dispatched = caller.with['dispatch-workflow'] as string;
    expect(CALLERS).toContain(dispatched);
    expect(readWorkflow(`workflows/${dispatched}`).on).toHaveProperty('workflow_dispatch');
  });
});

describe('backup-verify.yml', () => {
  const job = readWorkflow('.github/workflows/backup-verify.yml').jobs.verify;

  it('runs on the caller-given self-hosted labels, one verification at a time', () => {
    expect(job['runs-on']).toContain('inputs.runner-labels');
    expect(job.concurrency['cancel-in-progress']).toBe(false);
  });

  it('gives passwords to the verification from secrets, through the environment only', () => {
    const steps = job.steps as Loose[];
    const exporter = steps.findIndex((step) =>
      String(step.name).startsWith('Export the repository credentials'),
    );
    const verify = steps.findIndex((step) => step.id === 'verify');
    expect(exporter).toBeGreaterThanOrEqual(0);
    expect(exporter).toBeLessThan(verify);
    expect(steps[exporter].env).toEqual({ RESTIC_ENV: '${{ secrets.restic-env }}' });
    expect(steps[verify].env).toEqual({ RESTIC_PASSWORD: '${{ secrets.restic-password }}' });
    const { 'inputs-ssh-key': key, 'nix-access-tokens': tokens, ...others } = steps[verify].with;
    expect(JSON.stringify(others)).not.toContain('secrets.');
    // The Nix access secrets go to the action, which gives them to Nix alone (child-environment.ts).
    expect([key, tokens]).toEqual(['${{ secrets.inputs-ssh-key }}', '${{ secrets.nix-access-tokens }}']);
    expect(steps[verify].with['alert-issue']).toBe('${{ inputs.alert-issue }}');
  });

  it('documents, in its caller, a repositories file the action accepts', () => {
    const example = readText('workflows/backup-verify.yml')
      .split('\n')
      .filter((line) => /^# {3}(?:-| {2})/.test(line))
      .map((line) => line.slice(4))
      .join('\n');
    const repositories = repositoriesShape.parse(parse(example));
    expect(repositories.map((repository) => repository.name)).toEqual(['nas', 'offsite']);
  });
});

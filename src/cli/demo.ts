import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { actions } from '../actions/index.js';
import type { ActionDefinition, ActionResult } from '../core/action.js';
import { NotImplementedError, stringifyError, UserError } from '../core/errors.js';
import { type InputSchema, parseInputs } from '../core/inputs.js';
import { formatBytes, formatDuration } from '../core/markdown.js';
import type { ProcessRunner } from '../core/process.js';
import { advanceInput, type ExampleFleet, materializeExampleFleet } from '../demo/example-fleet.js';
import { planDeploy, planSummary } from '../deploy/plan-deploy.js';
import { findExecutable } from '../gate/tool-source.js';
import type { HostEntry, MatrixEntry } from '../hosts/matrix.js';
import { NixCli } from '../nix/cli.js';
import { findCheckoutFile } from './checkout.js';
import { buildTargetsOf } from './commands.js';
import { busiestHost, createDemoRepository, readServiceBackups } from './demo-backups.js';
import { type DemoStep, demoReport, type StepStatus, stepsTable } from './demo-report.js';
import { runActionLocally } from './local-action.js';
import { markdownToText } from './markdown-text.js';
import { type Palette, type TerminalLogger, type TerminalStream, terminalWidth } from './terminal.js';

export interface DemoOptions {
  /** Where the example fleet, the restic repository and the report go; a new or earlier demo directory. */
  dir: string;
  runner: ProcessRunner;
  logger: TerminalLogger;
  signal: AbortSignal;
  /** Run the planned deploy against test/deploy/fakes' `deploy`, which prints what deploy-rs prints. */
  applyFakeDeploy?: boolean;
  /** Where the final screen goes (stdout). */
  out: TerminalStream;
  colours: Palette;
}

export interface DemoOutcome {
  steps: DemoStep[];
  markdownPath: string;
  htmlPath: string;
  /** True when a step failed: the demo then exits 1. */
  failed: boolean;
}

/** The runners the generated pr-checks.yml proposes, so the matrix reads as it would on GitHub. */
const DEMO_RUNNERS =
  '{x86_64-linux: ubuntu-latest, aarch64-linux: ubuntu-24.04-arm, aarch64-darwin: macos-latest}';
const GATE_TOOLS = ['deadnix', 'statix'] as const;
const MARKER = '.flakeflow-demo';
/** What a demo leaves in its directory, this one's and the earlier ones' (before the marker existed). */
const DEMO_ENTRIES = new Set([MARKER, 'fleet', 'backups', 'report.md', 'report.html', 'homelab', 'inputs']);

/** Empties `dir` when an earlier demo made it; refuses anything else, so a typo never wipes a home. */
async function prepareDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries && entries.length > 0) {
    if (!entries.includes(MARKER) && !entries.every((entry) => DEMO_ENTRIES.has(entry))) {
      throw new UserError(
        `${dir} is not empty and was not made by flakeflow demo: give --dir a new directory`,
      );
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MARKER), 'Made by flakeflow demo; the next run empties it.\n');
}

type StepWork = () => Promise<Omit<DemoStep, 'title' | 'durationMs'>>;

/**
 * The whole pipeline on the example fleet, each step the very action a workflow runs: the gate with
 * the tools found here, the hosts matrix, a build of every host, the PR report, a lock update's pull
 * request (dry run), a canary deploy plan, and a verification of a restic repository made with fresh
 * snapshots. A step that cannot run here is reported as skipped with the reason, never faked.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { logger, runner, signal } = options;
  const started = Date.now();
  const dir = resolve(options.dir);
  await prepareDirectory(dir);
  const nix = new NixCli(runner);
  const version = await nix.version();
  logger.info(`flakeflow demo on ${version.text}, in ${dir}`);
  const fleet = await logger.group('Materialise the example fleet and its input repositories', () =>
    materializeExampleFleet(join(dir, 'fleet'), { runner, nix }),
  );

  const steps: DemoStep[] = [];
  const step = async (title: string, work: StepWork): Promise<DemoStep> => {
    const begun = Date.now();
    let done: DemoStep;
    if (signal.aborted) {
      done = { title, status: 'skipped', headline: 'not started: the demo was interrupted', durationMs: 0 };
      steps.push(done);
      return done;
    }
    try {
      done = { title, ...(await logger.group(title, work)), durationMs: Date.now() - begun };
    } catch (error) {
      const status: StepStatus = error instanceof NotImplementedError ? 'skipped' : 'failed';
      if (!(error instanceof UserError) && error instanceof Error) logger.debug(error.stack ?? error.message);
      const message =
        error instanceof UserError ? error.message : `Unexpected error: ${stringifyError(error)}`;
      done = { title, status, headline: message.split('\n')[0] ?? '', durationMs: Date.now() - begun };
    }
    steps.push(done);
    return done;
  };
  const run = async <S extends InputSchema>(
    definition: ActionDefinition<S>,
    inputs: Record<string, string>,
    keepTemp = false,
  ) => {
    const outcome = await runActionLocally({
      definition,
      read: (name) => inputs[name],
      workspace: fleet.flakeDir,
      logger,
      runner,
      signal,
      keepTemp,
    });
    return { ...outcome.result, runnerTemp: outcome.runnerTemp };
  };
  const verdict = (result: ActionResult): StepStatus => (result.failure ? 'failed' : 'passed');

  await step('Gate: formatting and lints', async () => {
    const found = await Promise.all(GATE_TOOLS.map((tool) => findExecutable(tool, process.env.PATH ?? '')));
    const present = GATE_TOOLS.filter((_, index) => found[index]);
    const missing = GATE_TOOLS.filter((_, index) => !found[index]);
    const result = await run(actions.gate, {
      checks: ['format', ...present].join(','),
      tools: 'path',
      files: 'all',
    });
    const skipped = missing.map((tool) => `${tool} (not installed: \`nix profile install nixpkgs#${tool}\`)`);
    const note =
      missing.length > 0
        ? `> [!NOTE]\n> Skipped here: ${skipped.join(', ')}. The gate action itself fails when a check's tool is missing.`
        : undefined;
    const findings = Number(result.outputs.findings ?? 0);
    return {
      status: verdict(result),
      headline: [
        `${findings} finding${findings === 1 ? '' : 's'} from ${['format', ...present].join(', ')}`,
        missing.length > 0 ? `${missing.join(', ')} skipped: not installed` : '',
      ]
        .filter(Boolean)
        .join(' · '),
      summary: [note, result.summary].filter(Boolean).join('\n\n'),
      ...(missing.length > 0
        ? { notes: missing.map((tool) => `${tool}: install with \`nix profile install nixpkgs#${tool}\``) }
        : {}),
    };
  });

  let hosts: HostEntry[] = [];
  let hostsJson = '';
  await step('Hosts: the build matrix', async () => {
    const result = await run(actions.hosts, { runners: DEMO_RUNNERS });
    hostsJson = result.outputs.hosts ?? '[]';
    hosts = JSON.parse(hostsJson) as HostEntry[];
    const matrix = (JSON.parse(result.outputs.matrix ?? '{"include":[]}') as { include: MatrixEntry[] })
      .include;
    const runners = new Set(matrix.map((entry) => JSON.stringify(entry.runner)));
    return {
      status: verdict(result),
      headline: `${hosts.length} hosts · ${matrix.length} matrix jobs on ${runners.size} runners`,
      ...(result.summary ? { summary: result.summary } : {}),
    };
  });

  let resultsDir: string | undefined;
  let buildTemp: string | undefined;
  await step('Build: every host', async () => {
    const targets = buildTargetsOf(hosts);
    if (!targets) throw new UserError('no host evaluated, so there is nothing to build');
    const result = await run(actions.build, targets, true);
    buildTemp = result.runnerTemp;
    resultsDir = dirname(result.outputs['result-file'] ?? '');
    const sizes = (result.outputs['closure-size'] ?? '').split(' ').filter(Boolean).map(Number);
    const built = (result.outputs['out-path'] ?? '').split(' ').filter(Boolean).length;
    return {
      status: verdict(result),
      headline: `${built} of ${targets.host.split(' ').length} hosts built · closures ${formatBytes(sizes.reduce((sum, size) => sum + size, 0))}`,
      ...(result.summary ? { summary: result.summary } : {}),
    };
  });

  await step('Report: the sticky pull-request comment', async () => {
    if (!resultsDir) throw new UserError('the build left no result files to report on');
    try {
      const result = await run(actions.report, { results: resultsDir, hosts: hostsJson, comment: 'false' });
      const failed = JSON.parse(result.outputs.failed ?? '[]') as string[];
      return {
        status: verdict(result),
        headline: failed.length > 0 ? `failed: ${failed.join(', ')}` : 'every host evaluated and built',
        ...(result.summary ? { summary: result.summary } : {}),
      };
    } finally {
      if (buildTemp) await rm(buildTemp, { recursive: true, force: true });
    }
  });

  await step('Lock update: the pull request it would open (dry run)', async () => {
    const commit = await advanceInput(fleet, 'secrets', { kind: 'update' }, { runner });
    const result = await run(actions['lock-update'], { 'dry-run': 'true' });
    const updated = JSON.parse(result.outputs['updated-inputs'] ?? '[]') as { input: string }[];
    return {
      status: verdict(result),
      headline: `input secrets advanced to ${commit.rev.slice(0, 7)}: ${updated.length} input${updated.length === 1 ? '' : 's'} updated, PR body rendered`,
      summary: `The body of the pull request \`flakeflow lock-update\` would open:\n\n${result.outputs.body ?? ''}`,
    };
  });

  await step(
    `Deploy: a canary rollout${options.applyFakeDeploy ? ', applied with the fake deploy-rs' : ' plan'}`,
    () => deployStep(fleet, { nix, signal, applyFakeDeploy: options.applyFakeDeploy === true, run }),
  );

  await step('Backups: verify a restic repository with fresh snapshots', async () => {
    if (!(await findExecutable('restic', process.env.PATH ?? ''))) {
      return {
        status: 'skipped',
        headline: 'restic is not installed (apt install restic, or nix profile install nixpkgs#restic)',
      };
    }
    const jobs = busiestHost(await readServiceBackups(nix, fleet.flakeDir));
    if (jobs.length === 0) {
      return { status: 'skipped', headline: 'no NixOS host of the fleet configures services.restic.backups' };
    }
    const host = jobs[0]?.host ?? '';
    const repository = await logger.group(`Backing up ${host}'s services yesterday and today`, () =>
      createDemoRepository(join(dir, 'backups'), jobs, { runner, logger, signal }),
    );
    const result = await run(actions['backup-verify'], { repositories: repository.repositoriesYaml });
    const services = `${host}'s ${jobs.map((job) => job.service).join(' and ')}`;
    return {
      status: result.outputs.healthy === 'true' ? 'passed' : 'failed',
      headline: `${result.outputs.healthy === 'true' ? 'healthy' : 'unhealthy'}: ${repository.snapshots} snapshots of ${services}`,
      ...(result.summary ? { summary: result.summary } : {}),
    };
  });

  const durationMs = Date.now() - started;
  const report = demoReport({ steps, nixVersion: version.text, hostCount: hosts.length, durationMs, dir });
  const markdownPath = join(dir, 'report.md');
  const htmlPath = join(dir, 'report.html');
  await writeFile(markdownPath, report.markdown);
  await writeFile(htmlPath, report.html);
  const outcome = { steps, markdownPath, htmlPath, failed: steps.some((done) => done.status === 'failed') };
  printScreen(outcome, { ...options, durationMs, nixVersion: version.text, hostCount: hosts.length });
  return outcome;
}

interface DeployStepTools {
  nix: NixCli;
  signal: AbortSignal;
  applyFakeDeploy: boolean;
  run: (
    definition: typeof actions.deploy,
    inputs: Record<string, string>,
  ) => Promise<ActionResult & { runnerTemp: string }>;
}

async function deployStep(fleet: ExampleFleet, tools: DeployStepTools): ReturnType<StepWork> {
  const inputs: Record<string, string> = { strategy: 'canary', targets: 'all' };
  const settings = parseInputs(actions.deploy.inputs, (name) => inputs[name]);
  const plan = await planDeploy(settings, {
    workspace: fleet.flakeDir,
    nix: tools.nix,
    signal: tools.signal,
  });
  const [canary] = plan.waves[0]?.nodes ?? [];
  const count = plan.waves.reduce((sum, wave) => sum + wave.nodes.length, 0);
  const planned = `${count} nodes in ${plan.waves.length} waves, ${canary?.name ?? 'none'} first`;
  if (!tools.applyFakeDeploy) {
    return {
      status: 'planned',
      headline: `${planned} · deploy it: --apply-fake-deploy`,
      summary: planSummary(plan, settings),
    };
  }
  const fake = findCheckoutFile(join('test', 'deploy', 'fakes', 'fake-deploy.mjs'));
  if (!fake) {
    throw new UserError(
      '--apply-fake-deploy needs the fake deploy-rs of a flakeflow checkout (test/deploy/fakes)',
    );
  }
  // The fake never connects anywhere, so there are no host keys to pin.
  const result = await tools.run(actions.deploy, {
    ...inputs,
    'deploy-command': `${process.execPath} ${fake}`,
    'strict-host-key-checking': 'false',
  });
  return {
    status: result.failure ? 'failed' : 'passed',
    headline: `${planned} · deployed: ${result.outputs.deployed || 'none'} (fake deploy-rs)`,
    ...(result.summary ? { summary: result.summary } : {}),
  };
}

function printScreen(
  outcome: DemoOutcome,
  context: DemoOptions & { durationMs: number; nixVersion: string; hostCount: number },
): void {
  const { colours, out } = context;
  const width = terminalWidth(out);
  const lines = [
    '',
    colours.bold(
      `flakeflow demo · the example homelab fleet · ${context.hostCount} hosts · ${context.nixVersion} · ${formatDuration(context.durationMs)}`,
    ),
    '',
    ...markdownToText(stepsTable(outcome.steps), { width, colours }),
  ];
  const notes = outcome.steps.flatMap((done) => done.notes ?? []);
  if (notes.length > 0)
    lines.push('', ...notes.map((note) => `  ${colours.dim('•')} ${note.replace(/`/g, '')}`));
  lines.push('', `Report: ${outcome.markdownPath}`, `        ${outcome.htmlPath}`);
  lines.push(
    outcome.failed
      ? `${colours.red('✗')} a step failed: the report says why`
      : `${colours.green('✓')} the whole pipeline ran on this machine`,
  );
  out.write(`${lines.join('\n')}\n`);
}

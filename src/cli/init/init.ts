import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';
import { table } from '../../core/markdown.js';
import type { ProcessRunner } from '../../core/process.js';
import { evaluatorsLine } from '../../hosts/summary.js';
import { NixCli } from '../../nix/cli.js';
import {
  evalWorkerLimits,
  type MachineResources,
  thisMachine,
  type WorkerPoolStats,
} from '../../nix/eval-workers.js';
import { markdownToText } from '../markdown-text.js';
import type { Palette, TerminalLogger, TerminalStream } from '../terminal.js';
import { terminalWidth } from '../terminal.js';
import { CALLER_FILES, type CallerFile, generateCallers, HOSTED_RUNNERS, targetChoices } from './callers.js';
import { type FleetFacts, inspectFlake } from './inspect.js';

export interface InitOptions {
  /** The repository: the flake is its root, the callers go to its .github/workflows. */
  dir: string;
  force: boolean;
  runner: ProcessRunner;
  logger: TerminalLogger;
  signal: AbortSignal;
  out: TerminalStream;
  colours: Palette;
  /** --eval-workers and --eval-max-memory; each the default of the hosts action when absent. */
  evalWorkers?: number;
  evalMaxMemoryKiB?: number;
  machine?: MachineResources;
}

export interface InitOutcome {
  facts: FleetFacts;
  limits: ReturnType<typeof evalWorkerLimits>;
  evaluators: WorkerPoolStats;
  written: CallerFile[];
  /** Files that existed and were left alone (no --force). */
  skipped: CallerFile[];
  workflowsDir: string;
}

async function gitLine(runner: ProcessRunner, cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await runner.run('git', args, { cwd, timeoutMs: 10_000 });
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** The branch `origin/HEAD` names, else the current branch when it is main or master, else main. */
async function defaultBranch(runner: ProcessRunner, dir: string): Promise<string> {
  const remote = await gitLine(runner, dir, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
  if (remote?.startsWith('origin/')) return remote.slice('origin/'.length);
  const current = await gitLine(runner, dir, ['symbolic-ref', '--short', 'HEAD']);
  return current === 'master' || current === 'main' ? current : 'main';
}

/** What each written caller holds, in a few words. */
function describeCaller(file: CallerFile, facts: FleetFacts): string {
  const systems = [
    ...new Set(facts.hosts.map((host) => host.system).filter((system) => system !== undefined)),
  ];
  switch (file) {
    case 'pr-checks.yml': {
      const hosted = systems.filter((system) => HOSTED_RUNNERS[system]);
      const own = systems.filter((system) => !HOSTED_RUNNERS[system]);
      return [
        `runners for ${hosted.join(', ') || 'no system'}`,
        own.length > 0 ? `${own.join(', ')} need a runner of yours` : '',
      ]
        .filter(Boolean)
        .join('; ');
    }
    case 'lock-update.yml':
      return facts.inputs.length > 0 ? `updates ${facts.inputs.join(', ')}` : 'no inputs locked yet';
    case 'deploy.yml':
      return facts.deployNodes
        ? `targets: ${targetChoices(facts).join(', ')}`
        : 'no deploy.nodes: the switch engine deploys the nixosConfigurations hosts (see flakeflow.nodes in it)';
    case 'fleet-status.yml':
      return facts.deployNodes
        ? `reads ${facts.deployNodes.length} deploy node(s) every six hours`
        : "reads the switch engine's nodes every six hours";
    case 'backup-verify.yml':
      return facts.backups.length > 0
        ? `config skeleton for ${facts.backups.map((backup) => `${backup.hostName}/${backup.service}`).join(', ')}`
        : 'no restic backups in the flake: a generic config example';
  }
}

/**
 * `flakeflow init [dir]`: inspects the flake in `dir` (its hosts in the evaluator pool) and writes the four
 * callers into `dir/.github/workflows`, leaving files that exist alone unless `force`.
 */
export async function runInit(options: InitOptions): Promise<InitOutcome> {
  const { logger, runner } = options;
  const dir = resolve(options.dir);
  if (!existsSync(join(dir, 'flake.nix'))) {
    throw new UserError(
      `${dir} has no flake.nix: run flakeflow init in the repository of your fleet's flake`,
    );
  }
  const nix = new NixCli(runner);
  const limits = evalWorkerLimits(
    { workers: options.evalWorkers, maxMemoryKiB: options.evalMaxMemoryKiB },
    options.machine ?? thisMachine(),
  );
  const { facts, evaluators } = await logger.group('Inspecting the flake', () =>
    inspectFlake(nix, { runner, limits }, dir, options.signal),
  );
  const callers = generateCallers(facts, { defaultBranch: await defaultBranch(runner, dir) });
  const workflowsDir = join(dir, '.github', 'workflows');
  await mkdir(workflowsDir, { recursive: true });
  const written: CallerFile[] = [];
  const skipped: CallerFile[] = [];
  for (const file of CALLER_FILES) {
    const path = join(workflowsDir, file);
    if (existsSync(path) && !options.force) {
      skipped.push(file);
      continue;
    }
    await writeFile(path, callers[file]);
    written.push(file);
  }
  const outcome = { facts, limits, evaluators, written, skipped, workflowsDir };
  printOutcome(outcome, options, dir);
  return outcome;
}

function printOutcome(outcome: InitOutcome, options: InitOptions, dir: string): void {
  const { facts } = outcome;
  const { colours } = options;
  const kinds = ['nixos', 'darwin', 'home'] as const;
  const found = kinds
    .map((kind) => [kind, facts.hosts.filter((host) => host.kind === kind)] as const)
    .filter(([, hosts]) => hosts.length > 0)
    .map(([kind, hosts]) => `${hosts.length} ${kind}`);
  const where = relative(process.cwd(), outcome.workflowsDir) || outcome.workflowsDir;
  const rows = CALLER_FILES.map((file) => [
    `${where}/${file}`,
    outcome.written.includes(file) ? '✅ written' : '⏭️ skipped: exists (--force overwrites)',
    outcome.written.includes(file) ? describeCaller(file, facts) : '',
  ]);
  const lines = [
    '',
    colours.bold(`flakeflow init · ${dir}`),
    `Found ${found.join(', ') || 'no hosts'}; ${facts.deployNodes ? `${facts.deployNodes.length} deploy nodes` : 'no deploy.nodes'}; ` +
      `${facts.formatterSystems.length > 0 ? 'a formatter' : 'no formatter'}; ${facts.backups.length} restic backup jobs.`,
    ...facts.privateInputs.map(
      (input) =>
        `Private input ${input.name} (${input.url}: ${input.why}): each caller names ${input.needs}, commented; see its note.`,
    ),
    ...markdownToText(evaluatorsLine({ limits: outcome.limits, workers: outcome.evaluators }), {
      width: terminalWidth(options.out),
      colours,
    }),
    '',
    ...markdownToText(table(['file', 'result', 'holds'], rows), {
      width: terminalWidth(options.out),
      colours,
    }),
    '',
    "Next: read each file's header for the secrets and settings it needs, commit them, and require the",
    'status check "flake-checks / flake-checks" on your default branch.',
  ];
  options.out.write(`${lines.join('\n')}\n`);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine, stringifyError, UserError } from '../core/errors.js';
import { defineInputs, integer, parseInputs, size } from '../core/inputs.js';
import { SpawnProcessRunner } from '../core/process.js';
import { closeMatches } from '../core/suggest.js';
import { runActionCommand } from './action-command.js';
import { parseCommandLine } from './argv.js';
import { findCheckoutFile } from './checkout.js';
import { ACTION_COMMANDS, findActionCommand } from './commands.js';
import { interruptSignal } from './context.js';
import { runDemo } from './demo.js';
import { commandHelp } from './help.js';
import { runInit } from './init/init.js';
import { LOCK_DIFF_HELP, lockDiffOutput } from './lock-diff.js';
import { colourFor, palette, TerminalLogger, terminalWidth } from './terminal.js';

const OWN_COMMANDS = [
  [
    'init [DIR]',
    'write the five workflow callers for the flake in DIR (default: .) to DIR/.github/workflows',
  ],
  ['lock-diff [OLD] [NEW]', 'what changed between two flake.locks (default: HEAD and ./flake.lock)'],
  ['demo', 'run the whole pipeline on the example fleet and write a report'],
] as const;

function usage(): string {
  const width = 23;
  return [
    'Usage: flakeflow <command> [--option value ...]',
    '',
    'The flakeflow actions, run on this machine with the same inputs and checks as in a workflow:',
    ...ACTION_COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    ...OWN_COMMANDS.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`),
    '',
    'Run flakeflow <command> --help for its options. Every action command takes --json (outputs as',
    'JSON), --summary FILE (the markdown job summary) and --verbose.',
  ].join('\n');
}

const COMMAND_NAMES = [
  ...ACTION_COMMANDS.map((command) => command.name),
  'init',
  'lock-diff',
  'demo',
  'help',
];

function unknownCommand(name: string): UserError {
  const matches = closeMatches(name, COMMAND_NAMES);
  const hint = matches.length > 0 ? `did you mean ${matches.join(', ')}?` : 'run flakeflow --help';
  return new UserError(`unknown command '${name}'; ${hint}`);
}

const DEMO_HELP = `Usage: flakeflow demo [--dir DIR] [--apply-fake-deploy] [--verbose]

Runs the whole pipeline on the example fleet of this checkout: the gate with the tools installed here,
the hosts matrix, a build of every host, the pull-request report, the pull request a lock update would
open after an input moved (dry run), a canary deploy plan, and the verification of a restic repository
made with fresh snapshots. Writes report.md and report.html in DIR and prints where.

  --dir DIR             where the fleet, the repository and the report go (default: .flakeflow/demo);
                        emptied first if an earlier demo made it
  --apply-fake-deploy   run the planned deploy against the fake deploy-rs of test/deploy/fakes
  --verbose             show every line the tools print`;

async function runDemoCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(argv, 'demo', [
    { name: 'dir', boolean: false },
    { name: 'apply-fake-deploy', boolean: true },
    { name: 'verbose', boolean: true },
    { name: 'help', boolean: true },
  ]);
  if (parsed.positionals.length > 0) {
    throw new UserError(`flakeflow demo takes options only, got '${parsed.positionals[0]}'; write --dir DIR`);
  }
  if (parsed.values.get('help') === 'true') {
    process.stdout.write(`${DEMO_HELP}\n`);
    return 0;
  }
  const logger = new TerminalLogger({
    verbose: parsed.values.get('verbose') === 'true',
    stream: process.stderr,
  });
  const runner = new SpawnProcessRunner(logger, logger.secrets);
  const interrupt = interruptSignal((signal) =>
    logger.warning(`${signal}: stopping after the current step (again to quit at once)`),
  );
  try {
    const outcome = await runDemo({
      dir: parsed.values.get('dir') ?? join('.flakeflow', 'demo'),
      runner,
      logger,
      signal: interrupt.signal,
      applyFakeDeploy: parsed.values.get('apply-fake-deploy') === 'true',
      out: process.stdout,
      colours: palette(colourFor(process.stdout)),
    });
    return outcome.failed ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}

const INIT_HELP = `Usage: flakeflow init [DIR] [--force] [--verbose] [--eval-workers N] [--eval-max-memory SIZE]

Inspects the flake in DIR (default: .) (its hosts and their systems, deploy.nodes, formatter and
restic backups) and writes the five workflow callers into DIR/.github/workflows: pr-checks.yml,
lock-update.yml, deploy.yml, backup-verify.yml and fleet-status.yml, filled with what it found. The hosts are
evaluated by a pool of bounded evaluator processes, as the hosts action does.

  --force             overwrite callers that exist (without it they are left alone and listed as skipped)
  --verbose           show every line the tools print
  --eval-workers      evaluator processes at once, from 1 to 256 (default: one per CPU core)
  --eval-max-memory   memory an evaluator may grow to before a fresh one takes the hosts left, in KiB,
                      MiB or GiB, e.g. 3GiB (default: the machine's memory shared, at most 4GiB)`;

const initInputs = defineInputs({
  'eval-workers': integer({ min: 1, max: 256 }),
  'eval-max-memory': size(),
});

async function runInitCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(argv, 'init', [
    { name: 'force', boolean: true },
    { name: 'verbose', boolean: true },
    { name: 'eval-workers', boolean: false },
    { name: 'eval-max-memory', boolean: false },
    { name: 'help', boolean: true },
  ]);
  if (parsed.values.get('help') === 'true') {
    process.stdout.write(`${INIT_HELP}\n`);
    return 0;
  }
  const pool = parseInputs(initInputs, (name) => parsed.values.get(name));
  if (parsed.positionals.length > 1) {
    throw new UserError(
      `flakeflow init takes one directory, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`,
    );
  }
  const logger = new TerminalLogger({
    verbose: parsed.values.get('verbose') === 'true',
    stream: process.stderr,
  });
  const runner = new SpawnProcessRunner(logger, logger.secrets);
  const interrupt = interruptSignal((signal) => logger.warning(`${signal}: stopping`));
  try {
    await runInit({
      dir: parsed.positionals[0] ?? '.',
      force: parsed.values.get('force') === 'true',
      runner,
      logger,
      signal: interrupt.signal,
      out: process.stdout,
      colours: palette(colourFor(process.stdout)),
      evalWorkers: pool['eval-workers'],
      evalMaxMemoryKiB: pool['eval-max-memory'],
    });
    return 0;
  } finally {
    interrupt.dispose();
  }
}

async function runLockDiffCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(argv, 'lock-diff', [
    { name: 'markdown', boolean: true },
    { name: 'json', boolean: true },
    { name: 'help', boolean: true },
  ]);
  if (parsed.values.get('help') === 'true') {
    process.stdout.write(`${LOCK_DIFF_HELP}\n`);
    return 0;
  }
  const markdown = parsed.values.get('markdown') === 'true';
  const json = parsed.values.get('json') === 'true';
  if (markdown && json) throw new UserError('flakeflow lock-diff takes --markdown or --json, not both');
  const logger = new TerminalLogger({ stream: process.stderr });
  process.stdout.write(
    await lockDiffOutput({
      positionals: parsed.positionals,
      format: json ? 'json' : markdown ? 'markdown' : 'terminal',
      cwd: process.cwd(),
      runner: new SpawnProcessRunner(logger, logger.secrets),
      width: terminalWidth(process.stdout),
      colours: palette(colourFor(process.stdout)),
    }),
  );
  return 0;
}

/** The version of flakeflow's own package.json (a bundle's folder has a package.json of its own). */
function packageVersion(): string {
  const read = (path: string) =>
    JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
  const path = findCheckoutFile('package.json', (candidate) => read(candidate).name === 'flakeflow');
  return (path && read(path).version) || 'unknown';
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const about = first === 'help' && rest[0] ? findActionCommand(rest[0]) : undefined;
    process.stdout.write(`${about ? commandHelp(about, terminalWidth(process.stdout)) : usage()}\n`);
    return first === undefined ? 1 : 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`flakeflow ${packageVersion()}\n`);
    return 0;
  }
  if (first === 'demo') return runDemoCommand(rest);
  if (first === 'init') return runInitCommand(rest);
  if (first === 'lock-diff') return runLockDiffCommand(rest);
  const command = findActionCommand(first);
  if (!command) throw unknownCommand(first);
  return runActionCommand(command, rest);
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (!(error instanceof UserError) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.stderr.write(`error: ${oneLine(stringifyError(error))}\n`);
    process.exitCode = 1;
  }
}

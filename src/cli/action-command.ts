import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { oneLine, UserError } from '../core/errors.js';
import { declarationOf, inputNames } from '../core/inputs.js';
import { SpawnProcessRunner } from '../core/process.js';
import { parseCommandLine } from './argv.js';
import type { ActionCommand, CommandCall } from './commands.js';
import { interruptSignal } from './context.js';
import { COMMON_FLAGS, commandHelp, optionSpecs, secretVariable } from './help.js';
import { localTokenReader, runActionLocally } from './local-action.js';
import { outputsJson, presentResult } from './present.js';
import { colourFor, palette, TerminalLogger, terminalWidth } from './terminal.js';

/**
 * Inputs that hold a file's content on a runner (a private key, known_hosts lines): on the command
 * line, their option (or FLAKEFLOW_<NAME>) may name the file instead, as `ssh -i` and
 * `UserKnownHostsFile` do, so a key never has to be typed out.
 */
const FILE_INPUTS = new Set(['inputs-ssh-key', 'inputs-known-hosts', 'ssh-private-key', 'known-hosts']);

/** The content of the file `value` names (`~/` is the home directory); undefined when it names none. */
function readInputFile(value: string): string | undefined {
  const path = value.trim().replace(/^~(?=\/)/, homedir());
  if (path === '' || path.includes('\n') || !existsSync(path) || !statSync(path).isFile()) return undefined;
  return readFileSync(path, 'utf8');
}

/** Runs one action command: the same inputs and schema as the action, a terminal for a face. */
export async function runActionCommand(command: ActionCommand, argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(argv, command.name, optionSpecs(command));
  if (parsed.positionals.length > 0) {
    throw new UserError(
      `flakeflow ${command.name} takes options only, got '${parsed.positionals[0]}'; write --name value`,
    );
  }
  const ownFlags = new Set([...command.flags, ...COMMON_FLAGS].map((flag) => flag.name));
  const flags = new Map([...parsed.values].filter(([name]) => ownFlags.has(name)));
  const inputs = new Map([...parsed.values].filter(([name]) => !ownFlags.has(name)));
  if (flags.get('help') === 'true') {
    process.stdout.write(`${commandHelp(command, terminalWidth(process.stdout))}\n`);
    return 0;
  }
  const json = flags.get('json') === 'true';
  const logger = new TerminalLogger({ verbose: flags.get('verbose') === 'true', stream: process.stderr });
  const schema = command.definition.inputs;
  for (const name of inputNames(schema)) {
    if (FILE_INPUTS.has(name)) {
      const given = inputs.get(name) ?? process.env[secretVariable(name)];
      const read = given === undefined ? undefined : readInputFile(given);
      if (read !== undefined) {
        inputs.set(name, read);
        continue;
      }
    }
    if (!declarationOf(schema, name).secret) continue;
    const given = inputs.get(name);
    if (given !== undefined && given.trim() !== '') {
      logger.mask(given);
      logger.warning(
        `--${name} on the command line is visible to other users (ps, shell history); set ${secretVariable(name)} instead`,
      );
    } else if (process.env[secretVariable(name)]) {
      inputs.set(name, process.env[secretVariable(name)] as string);
    }
  }
  const call: CommandCall = { flags, read: (name) => inputs.get(name) };
  command.adjust?.(inputs, call);

  const runner = new SpawnProcessRunner(logger, logger.secrets);
  const keepTemp = flags.get('keep-temp') === 'true';
  const interrupt = interruptSignal((signal) =>
    logger.warning(`${signal}: stopping what has not started yet, then reporting (again to quit at once)`),
  );
  const localRun = command.run;
  let outcome: Awaited<ReturnType<typeof runActionLocally>>;
  try {
    outcome = await runActionLocally({
      definition: command.definition,
      read: localTokenReader(call.read),
      workspace: process.cwd(),
      logger,
      runner,
      signal: interrupt.signal,
      check: (settings) => {
        command.check?.(settings, call);
        const { bold, dim } = logger.colours;
        logger.info(`${bold(`flakeflow ${command.name}`)} ${dim(`in ${process.cwd()}`)}`);
      },
      ...(localRun ? { run: (settings, environment) => localRun(settings, environment, call) } : {}),
      keepTemp,
    });
  } finally {
    interrupt.dispose();
  }
  const redact = (text: string) => logger.secrets.redact(text);
  const result = {
    ...outcome.result,
    outputs: Object.fromEntries(
      Object.entries(outcome.result.outputs).map(([name, value]) => [name, redact(value)]),
    ),
    ...(outcome.result.summary === undefined ? {} : { summary: redact(outcome.result.summary) }),
    annotations: (outcome.result.annotations ?? []).map((annotation) => ({
      ...annotation,
      message: redact(annotation.message),
    })),
  };

  const summaryFile = flags.get('summary');
  if (summaryFile !== undefined) await writeFile(resolve(summaryFile), result.summary ?? '');
  if (json) {
    process.stdout.write(
      `${JSON.stringify(outputsJson(result.outputs, command.definition.outputs), null, 2)}\n`,
    );
  } else {
    const lines = presentResult({
      command: command.name,
      result,
      outputNames: command.definition.outputs,
      removedDir: keepTemp ? undefined : outcome.runnerTemp,
      durationMs: outcome.durationMs,
      colours: palette(colourFor(process.stdout)),
      stream: process.stdout,
      maxLines: process.stdout.isTTY && process.stdout.rows ? process.stdout.rows - 2 : 60,
      moreHint: summaryFile ? ` in ${summaryFile}` : ': --summary FILE writes all of it',
    });
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (keepTemp) logger.info(`Kept the temporary directory ${outcome.runnerTemp}`);
  if (result.failure) {
    process.stderr.write(`error: ${redact(oneLine(result.failure))}\n`);
    return 1;
  }
  return 0;
}

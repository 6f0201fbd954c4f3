import { parseArgs } from 'node:util';
import { ACTION_NAMES } from '../actions/index.js';
import { oneLine, stringifyError, UserError } from '../core/errors.js';
import { SpawnProcessRunner } from '../core/process.js';
import { runDemo } from './demo.js';
import { TerminalLogger } from './terminal.js';

const USAGE = `Usage: flakeflow <command> [options]

Commands:
  demo [--dir DIR]   run the pipeline on the example fleet (default DIR: .flakeflow/demo)
  ${ACTION_NAMES.join(', ')}
                     the actions, run locally (coming with issue #8)

Options:
  --verbose          show the output of every tool
  --help             show this help`;

/** `flakeflow <command>`: the terminal face over the same capabilities the actions run. */
function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        dir: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UserError(`${stringifyError(error)}; run flakeflow --help`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const [command] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 1 : 0;
  }
  const logger = new TerminalLogger(values.verbose);
  const runner = new SpawnProcessRunner(logger, logger.secrets);
  if (command === 'demo') {
    await runDemo({ dir: values.dir ?? '.flakeflow/demo', runner, logger });
    return 0;
  }
  if ((ACTION_NAMES as readonly string[]).includes(command)) {
    throw new UserError(
      `flakeflow ${command} is not available from the command line yet (tracked in issue #8)`,
    );
  }
  throw new UserError(`unknown command '${command}'; run flakeflow --help`);
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

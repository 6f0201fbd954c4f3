import { UserError } from '../core/errors.js';
import { closeMatches } from '../core/suggest.js';

/** An option of a command: an action input, or one of the CLI's own flags. */
export interface OptionSpec {
  name: string;
  /** A boolean needs no value: `--name` means true; `--no-name`, `--name=false` and `--name false` false. */
  boolean: boolean;
}

export interface ParsedCommandLine {
  positionals: string[];
  /** Every option given, by name, as the raw text an action input would receive. */
  values: Map<string, string>;
}

function unknownOption(name: string, command: string, specs: readonly OptionSpec[]): UserError {
  const matches = closeMatches(
    name,
    specs.map((spec) => spec.name),
  );
  const hint =
    matches.length > 0
      ? `; did you mean ${matches.map((match) => `--${match}`).join(', ')}?`
      : `; run flakeflow ${command} --help for its options`;
  return new UserError(`unknown option --${name} for flakeflow ${command}${hint}`);
}

/**
 * Reads `--name value`, `--name=value`, boolean `--name` / `--no-name` and positionals. A value-taking
 * option always takes the next word, even one starting with `-`, so `--ssh-opts "-p 2222"` works.
 */
export function parseCommandLine(
  argv: readonly string[],
  command: string,
  specs: readonly OptionSpec[],
): ParsedCommandLine {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const positionals: string[] = [];
  const values = new Map<string, string>();
  const set = (name: string, value: string) => {
    if (values.has(name)) {
      throw new UserError(`option --${name} is given twice; give a list as one comma-separated value`);
    }
    values.set(name, value);
  };
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] as string;
    if (word === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!word.startsWith('--') || word === '--') {
      if (word.startsWith('-') && word.length > 1) {
        throw new UserError(`unknown option ${word} for flakeflow ${command}; options are spelt --name`);
      }
      positionals.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = equals === -1 ? word.slice(2) : word.slice(2, equals);
    const inline = equals === -1 ? undefined : word.slice(equals + 1);
    const spec = byName.get(name);
    if (spec?.boolean) {
      // `--dry-run false` reads as the workflow's `dry-run: false` would.
      const next = argv[index + 1];
      if (inline === undefined && (next === 'true' || next === 'false')) {
        set(name, next);
        index += 1;
      } else {
        set(name, inline ?? 'true');
      }
      continue;
    }
    if (spec) {
      if (inline !== undefined) {
        set(name, inline);
        continue;
      }
      const next = argv[index + 1];
      if (next === undefined) throw new UserError(`option --${name} needs a value`);
      set(name, next);
      index += 1;
      continue;
    }
    const negated = name.startsWith('no-') ? byName.get(name.slice(3)) : undefined;
    if (negated?.boolean && inline === undefined) {
      set(negated.name, 'false');
      continue;
    }
    throw unknownOption(name, command, specs);
  }
  return { positionals, values };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { declarationOf, type InputSchema, inputNames } from '../core/inputs.js';
import type { OptionSpec } from './argv.js';
import { findCheckoutFile } from './checkout.js';
import type { ActionCommand, FlagSpec } from './commands.js';
import { wrapWords } from './wrap-words.js';

/** The CLI's own options, accepted by every action command. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'json', boolean: true, describe: 'print the outputs as JSON on stdout (progress goes to stderr)' },
  { name: 'summary', boolean: false, describe: 'write the markdown job summary to FILE' },
  { name: 'verbose', boolean: true, describe: 'show every line the tools print' },
  {
    name: 'keep-temp',
    boolean: true,
    describe: "keep the run's temporary directory (RUNNER_TEMP) and print it",
  },
  { name: 'help', boolean: true, describe: 'show this help' },
];

/**
 * Whether an input is a boolean, asked of its own parser: it takes `true` and `false` and refuses
 * anything else. Booleans take no value on the command line.
 */
export function isBooleanInput(schema: InputSchema, name: string): boolean {
  const field = schema.shape[name];
  if (!field) return false;
  return (
    field.safeParse('true').success && field.safeParse('false').success && !field.safeParse('maybe').success
  );
}

export function optionSpecs(command: ActionCommand): OptionSpec[] {
  const schema = command.definition.inputs;
  return [
    ...inputNames(schema).map((name) => ({ name, boolean: isBooleanInput(schema, name) })),
    ...command.flags,
    ...COMMON_FLAGS,
  ];
}

/** `FLAKEFLOW_SSH_PRIVATE_KEY`: where a secret input is read from when no option gives it. */
export function secretVariable(input: string): string {
  return `FLAKEFLOW_${input.toUpperCase().replace(/-/g, '_')}`;
}

function inputDescriptions(name: string): Record<string, string> {
  const path = findCheckoutFile(join('actions', name, 'action.yml'));
  if (!path) return {};
  try {
    const manifest = parseYaml(readFileSync(path, 'utf8')) as {
      inputs?: Record<string, { description?: string }>;
    };
    return Object.fromEntries(
      Object.entries(manifest.inputs ?? {}).map(([input, declared]) => [
        input,
        (declared.description ?? '').replace(/\s+/g, ' ').trim(),
      ]),
    );
  } catch {
    return {};
  }
}

const OPTION_COLUMN = 30;

/** Words wrapped to `width` columns. */
function optionLine(name: string, value: string, describe: string, width: number): string {
  const left = `  --${name}${value}`;
  const text = wrapWords(describe, Math.max(30, width - OPTION_COLUMN));
  const pad = ' '.repeat(OPTION_COLUMN);
  const [first = '', ...rest] = text;
  const head =
    left.length >= OPTION_COLUMN - 1 ? [left, `${pad}${first}`] : [`${left.padEnd(OPTION_COLUMN)}${first}`];
  return [...head, ...rest.map((line) => `${pad}${line}`)].join('\n').trimEnd();
}

/** A default of several lines (the published known_hosts) is named by its size, not printed. */
function shownDefault(value: string): string {
  const lines = value.split('\n').length;
  return lines > 1 ? `${lines} lines, see action.yml` : value;
}

/** `flakeflow <command> --help`: every input as an option with its default, then the CLI's flags. */
export function commandHelp(command: ActionCommand, width = 100): string {
  const schema = command.definition.inputs;
  const descriptions = inputDescriptions(command.name);
  const lines = [
    `Usage: flakeflow ${command.name} [options]`,
    '',
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    `Inputs of the ${command.name} action (same names and defaults as in a workflow's with:):`,
  ];
  for (const name of inputNames(schema)) {
    const declared = declarationOf(schema, name);
    const boolean = isBooleanInput(schema, name);
    const facts = [
      declared.rawDefault !== undefined && !declared.secret
        ? `default: ${shownDefault(declared.rawDefault)}`
        : '',
      declared.secret ? `secret: or set ${secretVariable(name)}` : '',
    ].filter(Boolean);
    const describe = [descriptions[name] ?? '', facts.length > 0 ? `(${facts.join('; ')})` : '']
      .filter(Boolean)
      .join(' ');
    lines.push(optionLine(name, boolean ? '' : ' VALUE', describe, width));
  }
  lines.push('', 'Options of the command line:');
  for (const flag of [...command.flags, ...COMMON_FLAGS]) {
    lines.push(optionLine(flag.name, flag.boolean ? '' : ' FILE', flag.describe, width));
  }
  lines.push(
    '',
    'A boolean input is on with --name and off with --no-name. Lists are comma-separated. The token',
    'defaults to GITHUB_TOKEN or GH_TOKEN. Exit status: 0 when the action passes, 1 when it fails.',
  );
  return lines.join('\n');
}

import { z } from 'zod';
import { splitCommandLine } from './command-line.js';
import { UserError } from './errors.js';

/** What an action input declares besides its type: the same facts `action.yml` states. */
export interface InputDeclaration {
  /** The default exactly as `action.yml` writes it; applied when the input is empty. */
  rawDefault?: string;
  required?: boolean;
  /** Masked as soon as it is read, and never echoed in an error. */
  secret?: boolean;
}

export const inputDeclarations = z.registry<InputDeclaration>();

type RawInput = string | undefined;
type Issue = { addIssue(issue: { code: 'custom'; message: string }): void };
type FieldOptions = InputDeclaration;
type Output<T, O extends FieldOptions> = O extends { rawDefault: string } | { required: true }
  ? T
  : T | undefined;

/** A field is a zod schema from the raw runner string to its typed value. */
export type InputField<T> = z.ZodType<T, RawInput>;

function quoted(raw: string, options: FieldOptions): string {
  if (options.secret) return '(secret value hidden)';
  const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  return `'${shown.replace(/\r?\n/g, '\\n')}'`;
}

/**
 * Builds an input field. `parse` receives the non-empty raw string (or the default) and either returns
 * the value or reports `must be …` through `fail`.
 */
export function field<T, O extends FieldOptions>(
  options: O,
  parse: (raw: string, fail: (expected: string) => never) => T,
): InputField<Output<T, O>> {
  const schema = z
    .string()
    .optional()
    .transform((value, ctx: Issue) => {
      const given = value === undefined || value.trim() === '' ? undefined : value;
      const raw = given ?? options.rawDefault;
      if (raw === undefined) {
        if (options.required) {
          ctx.addIssue({ code: 'custom', message: 'is required but was not given' });
          return z.NEVER;
        }
        return undefined;
      }
      try {
        return parse(raw, (expected) => {
          throw new InvalidInput(`must be ${expected}, got ${quoted(raw, options)}`);
        });
      } catch (error) {
        if (!(error instanceof InvalidInput)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    });
  inputDeclarations.add(schema, {
    ...(options.rawDefault !== undefined ? { rawDefault: options.rawDefault } : {}),
    ...(options.required ? { required: true } : {}),
    ...(options.secret ? { secret: true } : {}),
  });
  return schema as unknown as InputField<Output<T, O>>;
}

class InvalidInput extends Error {}

export function text<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw) => raw.trim());
}

export function secret<O extends FieldOptions>(options: O = {} as O) {
  return field({ ...options, secret: true }, (raw) => raw);
}

const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);

/** Strict like the runner's YAML 1.2 booleans: `yes`, `1` or `on` are mistakes, not truths. */
export function bool<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw, fail) => {
    const word = raw.trim();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return fail('true or false');
  });
}

export function integer<O extends FieldOptions>(options: O & { min?: number; max?: number } = {} as O) {
  const { min, max } = options;
  const range =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` of at least ${min}`
        : max !== undefined
          ? ` of at most ${max}`
          : '';
  return field(options, (raw, fail) => {
    const word = raw.trim();
    if (!/^-?\d+$/.test(word)) return fail(`a whole number${range}`);
    const value = Number.parseInt(word, 10);
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      return fail(`a whole number${range}`);
    }
    return value;
  });
}

export function choice<const V extends readonly string[], O extends FieldOptions>(
  values: V,
  options: O = {} as O,
) {
  return field(options, (raw, fail): V[number] => {
    const word = raw.trim();
    if ((values as readonly string[]).includes(word)) return word as V[number];
    return fail(`one of ${values.join(', ')}`);
  });
}

/** Splits a comma- or newline-separated list, trimming items and dropping empty ones. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function list<O extends FieldOptions>(
  options: O & { of?: readonly string[]; what?: string } = {} as O,
) {
  const { of: allowed, what } = options;
  return field(options, (raw, fail): string[] => {
    const items = splitList(raw);
    if (items.length === 0) return fail(`a non-empty list of ${what ?? allowed?.join(', ') ?? 'values'}`);
    if (allowed) {
      const unknown = items.filter((item) => !allowed.includes(item));
      if (unknown.length > 0) return fail(`a comma- or newline-separated list of ${allowed.join(', ')}`);
    }
    return items;
  });
}

/** Splits on whitespace: for inputs like `skip-cached` that hold URLs or command-line options. */
export function words<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw): string[] => raw.split(/\s+/).filter((word) => word.length > 0));
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `26h`, `90m`, `1h30m`, `7d`, `120s` or `2w` into milliseconds; returns undefined if malformed. */
export function parseDuration(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
  }
  return total > 0 ? Math.round(total) : undefined;
}

export function duration<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw, fail) => parseDuration(raw) ?? fail('a duration like 26h'));
}

const SIZE_UNITS: Record<string, number> = { KiB: 1, MiB: 1024, GiB: 1024 * 1024 };

/** Parses `600MiB`, `3GiB` or `512KiB` into KiB; returns undefined if malformed or zero. */
export function parseSizeKiB(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB)$/.exec(raw.trim());
  if (!match) return undefined;
  const kib = Math.round(Number(match[1]) * (SIZE_UNITS[match[2] as string] as number));
  return kib > 0 ? kib : undefined;
}

/** A memory size with its unit (KiB, MiB or GiB), in KiB. */
export function size<O extends FieldOptions>(options: O = {} as O) {
  return field(
    options,
    (raw, fail) => parseSizeKiB(raw) ?? fail('a size like 600MiB or 3GiB (KiB, MiB or GiB)'),
  );
}

export type InputShape = Record<string, InputField<unknown>>;
export type InputSchema<S extends InputShape = InputShape> = z.ZodObject<S>;
export type SettingsOf<S extends InputSchema> = z.output<S>;

/** Defines an action's inputs: one zod object whose keys are the exact `action.yml` input names. */
export function defineInputs<S extends InputShape>(shape: S): z.ZodObject<S> {
  return z.object(shape);
}

export function declarationOf(schema: InputSchema, name: string): InputDeclaration {
  const fieldSchema = schema.shape[name];
  return (fieldSchema && inputDeclarations.get(fieldSchema)) ?? {};
}

export function inputNames(schema: InputSchema): string[] {
  return Object.keys(schema.shape);
}

/**
 * Reads every input of `schema` through `read` and parses them. The first problem becomes one
 * UserError line: `Input 'max-age' must be a duration like 26h, got 'soon'`.
 */
export function parseInputs<S extends InputSchema>(
  schema: S,
  read: (name: string) => string | undefined,
  onSecret: (value: string) => void = () => {},
): z.output<S> {
  const raw: Record<string, string | undefined> = {};
  for (const name of inputNames(schema)) {
    const value = read(name);
    if (value !== undefined && value.trim() !== '' && declarationOf(schema, name).secret) onSecret(value);
    raw[name] = value;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = issue?.path[0] !== undefined ? String(issue.path[0]) : 'unknown';
  throw new UserError(`Input '${name}' ${issue?.message ?? 'is invalid'}`);
}

/** A duration inside a YAML input (`26h`, `120s`), in milliseconds; a bare number is refused as ambiguous. */
export function durationValue(example = '26h') {
  return z.union([z.string(), z.number()]).transform((raw, ctx) => {
    const milliseconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
    if (milliseconds !== undefined) return milliseconds;
    ctx.addIssue({ code: 'custom', message: `must be a duration like ${example}, got '${raw}'` });
    return z.NEVER;
  });
}

/** The runner expands this to the job's token; `action.yml` and the schemas write it literally. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: this is the expression itself, not a template
export const GITHUB_TOKEN_DEFAULT = '${{ github.token }}';

/** The `token` input every GitHub-facing action has: a secret defaulting to the job's token. */
export function githubToken() {
  return secret({ rawDefault: GITHUB_TOKEN_DEFAULT });
}

/** A program and its arguments, split as a shell would split them but run without one. */
export function commandLine<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw, fail): string[] => {
    const argv = splitCommandLine(raw.trim());
    return Array.isArray(argv) ? argv : fail(`a program and its arguments (found ${argv.invalid})`);
  });
}

/** Names of environment variables, space-, comma- or newline-separated. */
export function variableNames<O extends FieldOptions>(options: O = {} as O) {
  return field(options, (raw, fail): string[] => {
    const names = raw.split(/[\s,]+/).filter((name) => name !== '');
    const bad = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
    return bad === undefined ? names : fail(`variable names such as CACHIX_AUTH_TOKEN ('${bad}' is not one)`);
  });
}

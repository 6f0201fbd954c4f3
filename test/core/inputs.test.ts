import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError } from '../../src/core/errors.js';
import {
  bool,
  choice,
  declarationOf,
  defineInputs,
  duration,
  field,
  integer,
  list,
  parseDuration,
  parseInputs,
  secret,
  splitList,
  text,
  words,
} from '../../src/core/inputs.js';
import { structured } from '../../src/core/structured-input.js';

const schema = defineInputs({
  path: text({ rawDefault: '.' }),
  'max-age': duration({ rawDefault: '26h' }),
  'dry-run': bool({ rawDefault: 'false' }),
  parallel: integer({ rawDefault: '4', min: 1, max: 64 }),
  strategy: choice(['canary', 'waves'] as const, { rawDefault: 'canary' }),
  checks: list({ rawDefault: 'format,deadnix', of: ['format', 'deadnix', 'statix'] }),
  'skip-cached': words(),
  runners: structured(
    z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    'a YAML map from system to labels',
  ),
  token: secret(),
  command: text({ required: true }),
});

function parse(raw: Record<string, string>) {
  return parseInputs(schema, (name) => raw[name]);
}

function errorOf(raw: Record<string, string>): string {
  try {
    parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('expected the inputs to be rejected');
}

describe('parseInputs', () => {
  it('applies raw defaults when inputs are missing or empty', () => {
    expect(parse({ command: 'go', path: '  ', 'max-age': '' })).toEqual({
      path: '.',
      'max-age': 26 * 3_600_000,
      'dry-run': false,
      parallel: 4,
      strategy: 'canary',
      checks: ['format', 'deadnix'],
      'skip-cached': undefined,
      runners: undefined,
      token: undefined,
      command: 'go',
    });
  });

  it('parses given values into typed settings', () => {
    const settings = parse({
      command: 'go',
      'max-age': '1h30m',
      'dry-run': 'TRUE',
      parallel: '12',
      strategy: 'waves',
      checks: 'statix\n format ,',
      'skip-cached': 'https://cache.nixos.org  file:///tmp/cache',
      runners: '{x86_64-linux: [self-hosted, nix], aarch64-darwin: macos-latest}',
    });
    expect(settings['max-age']).toBe(90 * 60_000);
    expect(settings['dry-run']).toBe(true);
    expect(settings.parallel).toBe(12);
    expect(settings.strategy).toBe('waves');
    expect(settings.checks).toEqual(['statix', 'format']);
    expect(settings['skip-cached']).toEqual(['https://cache.nixos.org', 'file:///tmp/cache']);
    expect(settings.runners).toEqual({
      'x86_64-linux': ['self-hosted', 'nix'],
      'aarch64-darwin': 'macos-latest',
    });
  });

  it.each([
    [{ 'max-age': 'soon' }, "Input 'max-age' must be a duration like 26h, got 'soon'"],
    [{ 'dry-run': 'yes' }, "Input 'dry-run' must be true or false, got 'yes'"],
    [{ parallel: '0' }, "Input 'parallel' must be a whole number from 1 to 64, got '0'"],
    [{ parallel: '2.5' }, "Input 'parallel' must be a whole number from 1 to 64, got '2.5'"],
    [{ strategy: 'fast' }, "Input 'strategy' must be one of canary, waves, got 'fast'"],
    [
      { checks: 'format,lint' },
      "Input 'checks' must be a comma- or newline-separated list of format, deadnix, statix, got 'format,lint'",
    ],
    [{ checks: ' , ,' }, "Input 'checks' must be a non-empty list of format, deadnix, statix, got ' , ,'"],
    [
      { runners: '{a: [' },
      /^Input 'runners' must be a YAML map from system to labels \(YAML or JSON; it does not parse: .+\), got '\{a: \['$/,
    ],
    [
      { runners: '[1, 2]' },
      /^Input 'runners' must be a YAML map from system to labels \(.+\), got '\[1, 2\]'$/,
    ],
    [{ command: '' }, "Input 'command' is required but was not given"],
  ])('rejects %j with one line', (raw, expected) => {
    const message = errorOf({ command: 'go', ...raw });
    expect(message).not.toContain('\n');
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  it('masks secrets as soon as they are read and never echoes them', () => {
    const masked: string[] = [];
    const secretSchema = defineInputs({ token: secret(), parallel: integer({ min: 1 }) });
    expect(() =>
      parseInputs(
        secretSchema,
        (name) => ({ token: 'ghp_abc', parallel: 'x' })[name],
        (value) => masked.push(value),
      ),
    ).toThrow("Input 'parallel' must be a whole number of at least 1, got 'x'");
    expect(masked).toEqual(['ghp_abc']);
    const badSecret = defineInputs({
      key: field({ secret: true }, (raw, fail) => (raw.startsWith('-----BEGIN') ? raw : fail('a PEM key'))),
    });
    expect(() => parseInputs(badSecret, () => 'hunter2-secret')).toThrow(
      "Input 'key' must be a PEM key, got (secret value hidden)",
    );
  });

  it('exposes declarations for the action.yml contract test', () => {
    expect(declarationOf(schema, 'path')).toEqual({ rawDefault: '.' });
    expect(declarationOf(schema, 'command')).toEqual({ required: true });
    expect(declarationOf(schema, 'token')).toEqual({ secret: true });
  });
});

describe('small parsers', () => {
  it.each([
    ['26h', 93_600_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['120s', 120_000],
    ['250ms', 250],
  ])('parses duration %s', (raw, milliseconds) => {
    expect(parseDuration(raw)).toBe(milliseconds);
  });

  it.each(['', 'soon', '5', 'h', '0s', '-3h', '3 h'])('rejects duration %j', (raw) => {
    expect(parseDuration(raw)).toBeUndefined();
  });

  it('splits lists on commas and newlines', () => {
    expect(splitList('a, b\nc,,\n d ')).toEqual(['a', 'b', 'c', 'd']);
  });
});

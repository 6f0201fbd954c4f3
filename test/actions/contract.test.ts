import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { ACTION_NAMES, actions } from '../../src/actions/index.js';
import { COMMAND_INPUT, umbrellaInputNames, umbrellaOutputNames } from '../../src/actions/umbrella.js';
import { declarationOf, inputNames } from '../../src/core/inputs.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
// biome-ignore lint/suspicious/noTemplateCurlyInString: the default as action.yml writes it
const TOKEN_DEFAULT = '${{ github.token }}';

/** The parts of `action.yml` the contract covers; strict, so a misspelt key or a non-string default fails. */
const manifestShape = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  author: z.literal('flakeflow'),
  inputs: z.record(
    z.string(),
    z.strictObject({
      description: z.string().min(1),
      required: z.boolean().optional(),
      default: z.string().optional(),
    }),
  ),
  outputs: z.record(z.string(), z.strictObject({ description: z.string().min(1) })),
  runs: z.strictObject({
    using: z.literal('node24'),
    main: z.string(),
    post: z.string().optional(),
    'post-if': z.string().optional(),
  }),
  branding: z.strictObject({
    icon: z.string().regex(/^[a-z0-9-]+$/),
    color: z.enum(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']),
  }),
});

function readManifest(path: string) {
  return manifestShape.parse(parse(readFileSync(`${REPO}${path}`, 'utf8')));
}

describe.each(ACTION_NAMES)('actions/%s/action.yml', (name) => {
  const definition = actions[name];
  const manifest = readManifest(`actions/${name}/action.yml`);

  it('is the action the registry names', () => {
    expect(definition.name).toBe(name);
    expect(manifest.name).toBe(`flakeflow ${name}`);
  });

  it('declares exactly the schema inputs, in order', () => {
    expect(Object.keys(manifest.inputs)).toEqual(inputNames(definition.inputs));
  });

  it('writes each default exactly as the schema rawDefault, and marks the same inputs required', () => {
    for (const [input, declared] of Object.entries(manifest.inputs)) {
      const declaration = declarationOf(definition.inputs, input);
      expect({ input, default: declared.default }).toEqual({ input, default: declaration.rawDefault });
      expect({ input, required: declared.required ?? false }).toEqual({
        input,
        required: declaration.required ?? false,
      });
    }
  });

  it('defaults every token to the workflow token', () => {
    if (!('token' in manifest.inputs)) return;
    expect(manifest.inputs.token?.default).toBe(TOKEN_DEFAULT);
    expect(declarationOf(definition.inputs, 'token')).toMatchObject({
      rawDefault: TOKEN_DEFAULT,
      secret: true,
    });
  });

  it('declares allow-untrusted-on-self-hosted exactly when it keeps forks off self-hosted runners', () => {
    expect('allow-untrusted-on-self-hosted' in manifest.inputs).toBe(
      definition.keepsForksOffSelfHosted === true,
    );
    expect(definition.keepsForksOffSelfHosted === true).toBe(
      ['gate', 'hosts', 'build', 'report'].includes(name),
    );
  });

  it('declares exactly the outputs the definition sets, in order', () => {
    expect(Object.keys(manifest.outputs)).toEqual([...definition.outputs]);
  });

  it('runs its own bundle on node24', () => {
    const post =
      name === 'deploy' || name === 'status'
        ? { post: `../../dist/${name}/post.js`, 'post-if': 'always()' }
        : { post: undefined };
    expect(manifest.runs).toEqual({ using: 'node24', main: `../../dist/${name}/index.js`, ...post });
  });
});

describe('actions/', () => {
  it('holds one folder per registered action and no other', () => {
    const folders = readdirSync(`${REPO}actions`, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual([...ACTION_NAMES].sort());
  });
});

describe('the umbrella action.yml', () => {
  const manifest = readManifest('action.yml');

  it('declares command and the union of every action input', () => {
    const union = new Set(ACTION_NAMES.flatMap((name) => inputNames(actions[name].inputs)));
    expect(Object.keys(manifest.inputs)).toEqual(umbrellaInputNames());
    expect(new Set(Object.keys(manifest.inputs))).toEqual(new Set([COMMAND_INPUT, ...union]));
  });

  it('requires command and defaults nothing but the token', () => {
    const required = Object.keys(manifest.inputs).filter((input) => manifest.inputs[input]?.required);
    const defaulted = Object.entries(manifest.inputs).filter(
      ([, declared]) => declared.default !== undefined,
    );
    expect(required).toEqual([COMMAND_INPUT]);
    expect(defaulted).toEqual([['token', expect.objectContaining({ default: TOKEN_DEFAULT })]]);
  });

  it('names every command in the description of command', () => {
    for (const name of ACTION_NAMES) expect(manifest.inputs[COMMAND_INPUT]?.description).toContain(name);
  });

  it('declares the union of every action output', () => {
    const union = new Set(ACTION_NAMES.flatMap((name) => actions[name].outputs));
    expect(Object.keys(manifest.outputs)).toEqual(umbrellaOutputNames());
    expect(new Set(Object.keys(manifest.outputs))).toEqual(union);
  });

  it('runs the umbrella bundle with its post step', () => {
    expect(manifest.runs).toEqual({
      using: 'node24',
      main: 'dist/umbrella/index.js',
      post: 'dist/umbrella/post.js',
      'post-if': 'always()',
    });
  });
});

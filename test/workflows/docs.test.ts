// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  readActionManifests,
  renderAction,
  renderReadme,
  renderWorkflow,
  replacePart,
} from '../../scripts/docs.mjs';
import { REPO, REUSABLE } from './support.js';

describe('README.md', () => {
  it('holds the reference generated from every action.yml and reusable workflow as they are now', async () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    // On failure: run `npm run docs`.
    expect(readme).toBe(await renderReadme(REPO));
  });

  it('keeps its hand-written parts: the two commands, and the callers to copy', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain('scripts/setup && npm start');
    expect(readme).toContain('scripts/setup && npm test');
    expect(readme).toContain('## Using the reusable workflows');
    for (const caller of [
      'pr-checks.yml',
      'lock-update.yml',
      'deploy.yml',
      'backup-verify.yml',
      'fleet-status.yml',
    ]) {
      expect(readme).toContain(`(workflows/${caller})`);
    }
  });
});

describe('the generated reference', () => {
  it('has one section per action, with a row for each input and output', async () => {
    const actions = await readActionManifests(REPO);
    expect(actions.map((action) => action.name)).toEqual([
      'lock-update',
      'gate',
      'hosts',
      'build',
      'report',
      'deploy',
      'backup-verify',
      'status',
    ]);
    for (const action of actions) {
      const section = renderAction(action);
      for (const input of Object.keys(action.manifest.inputs ?? {}))
        expect(section).toContain(`| \`${input}\` |`);
      for (const output of Object.keys(action.manifest.outputs ?? {}))
        expect(section).toContain(`| \`${output}\` |`);
    }
  });

  it('drifts as soon as an action.yml gains an input', async () => {
    const [first] = await readActionManifests(REPO);
    if (!first) throw new Error('no action');
    const before = renderAction(first);
    const grown = {
      ...first,
      manifest: {
        ...first.manifest,
        inputs: {
          ...first.manifest.inputs,
          'max-age': { description: 'How old | at most.', default: '26h' },
        },
      },
    };
    const after = renderAction(grown);
    expect(after).not.toBe(before);
    expect(after).toContain('| `max-age` | no | `26h` | How old \\| at most. |');
  });

  it('renders required inputs, empty defaults and multi-line descriptions for a table', () => {
    const section = renderAction({
      name: 'probe',
      manifest: {
        description: 'A probe.',
        inputs: {
          host: { description: 'The host\nto probe.', required: true },
          token: { default: '${{ github.token }}' },
        },
        outputs: { healthy: { description: '`true` or `false`.' } },
      },
    });
    expect(section).toContain('- uses: flakeflow/flakeflow/actions/probe@v1');
    expect(section).toContain('| `host` | yes |  | The host to probe. |');
    expect(section).toContain('| `token` | no | `${{ github.token }}` |  |');
    expect(section).toContain('| `healthy` | `true` or `false`. |');
  });

  it.each(REUSABLE)('lists every input and secret of %s', (file) => {
    const workflow = parse(readFileSync(join(REPO, '.github', 'workflows', file), 'utf8'));
    const rendered = renderWorkflow({ file, workflow });
    const call = workflow.on.workflow_call;
    for (const name of [...Object.keys(call.inputs), ...Object.keys(call.secrets ?? {})]) {
      expect(rendered).toContain(`| \`${name}\` |`);
    }
  });

  it('replaces only what sits between the markers, and refuses a README without them', () => {
    const readme = 'intro\n<!-- actions:start -->\nold\n<!-- actions:end -->\noutro\n';
    expect(replacePart(readme, 'actions', 'new\n')).toBe(
      'intro\n<!-- actions:start -->\nnew\n<!-- actions:end -->\noutro\n',
    );
    expect(() => replacePart('no markers', 'actions', 'x')).toThrow('<!-- actions:start -->');
  });
});

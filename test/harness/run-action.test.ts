import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKeyValueFile } from './file-commands.js';
import { errorLines, repositoryRoot, runAction } from './run-action.js';

const probe = join(repositoryRoot, 'test', 'harness', 'fixtures', 'probe');

function requireBundle(name: string): void {
  const bundle = join(repositoryRoot, 'dist', name, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
}

describe('runner-exact harness on a probe written with @actions/core', () => {
  it('returns outputs, summary, annotations, exported env, path and state, then runs post with that state', async () => {
    const run = await runAction({
      action: probe,
      inputs: { greeting: 'hello', password: 's3cr3t-value' },
      event: { name: 'push', payload: { ref: 'refs/heads/main' } },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      message: 'hello (max-age 26h)',
      multiline: 'first line\nsecond line',
    });
    expect(run.summary).toContain('<h1>Probe</h1>');
    expect(run.summary).toContain('event push');
    expect(run.exportedEnv).toEqual({ PROBE_EXPORTED: 'yes' });
    expect(run.addedPath).toEqual(['/opt/probe/bin']);
    expect(run.annotations).toEqual([
      {
        command: 'warning',
        properties: { title: 'probe', file: 'hosts/a.nix', line: '3', col: '5', endColumn: '9' },
        message: 'a warning with, commas: and colons',
      },
    ]);
    expect(run.state.scratch).toBe(join(run.runnerTemp, 'probe-scratch'));
    expect(run.post?.exitCode).toBe(0);
    expect(run.post?.stdout).toContain(`post saw scratch=${run.state.scratch}`);
    expect(await readFile(run.state.scratch as string, 'utf8')).toBe('post step ran');
  });

  it('masks registered secrets in the log the runner would show', async () => {
    const run = await runAction({ action: probe, inputs: { greeting: 'hi', password: 's3cr3t-value' } });
    expect(run.masks).toEqual(['s3cr3t-value']);
    expect(run.stdout).toContain('password is s3cr3t-value');
    expect(run.visibleLog).toContain('password is ***');
    expect(run.visibleLog).not.toContain('s3cr3t-value');
  });

  it('applies action.yml defaults, passes hyphenated names through and warns about unexpected inputs', async () => {
    const run = await runAction({ action: probe, inputs: { greeting: 'x', 'max-age': '8h', max_age: '1h' } });
    expect(run.outputs.message).toBe('x (max-age 8h)');
    expect(run.runnerWarnings).toEqual([
      "Unexpected input(s) 'max_age', valid inputs are ['greeting', 'max-age', 'password']",
    ]);
  });

  it('reports a failed step with exit code 1 and still runs the post step', async () => {
    const run = await runAction({ action: probe, inputs: { greeting: 'fail' } });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual(['asked to fail\nsecond line']);
    expect(run.post?.exitCode).toBe(0);
    expect((await stat(run.state.scratch as string)).isFile()).toBe(true);
  });

  it('fails a missing required input the way @actions/core does', async () => {
    const run = await runAction({ action: probe });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual(['Input required and not supplied: greeting']);
  });
});

describe('runner-exact harness on the built bundles', () => {
  it('a workspace without a flake fails with one line naming the input, and sets no outputs', async () => {
    requireBundle('hosts');
    const run = await runAction({ action: 'hosts' });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([
      `Input 'path' must be a directory holding a flake.nix, got '.' (${run.workspace})`,
    ]);
    expect(run.outputs).toEqual({});
  });

  it('bad input gives exit code 1 and a single error line naming the input, without a stack trace', async () => {
    requireBundle('hosts');
    const run = await runAction({ action: 'hosts', inputs: { 'max-jobs': 'lots' } });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual(["Input 'max-jobs' must be a whole number from 1 to 256, got 'lots'"]);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
  });

  it('the umbrella action without its required command gives a one-line error', async () => {
    requireBundle('umbrella');
    const run = await runAction({ action: 'umbrella' });
    expect(run.exitCode).toBe(1);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Input 'command' /);
  });
});

describe('file-command parsing', () => {
  it('reads heredoc and legacy single-line entries', () => {
    expect(parseKeyValueFile('a<<ghadelimiter_1\nx\ny\nghadelimiter_1\nb=2\n')).toEqual({
      a: 'x\ny',
      b: '2',
    });
  });

  it('rejects an unterminated heredoc instead of guessing', () => {
    expect(() => parseKeyValueFile('a<<EOF\nx\n')).toThrow(/Unterminated heredoc for 'a'/);
  });
});

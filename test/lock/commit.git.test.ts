import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import {
  type ProcessResult,
  type ProcessRunner,
  type RunOptions,
  SpawnProcessRunner,
} from '../../src/core/process.js';
import { commitAll, git, initRepository } from '../../src/demo/git-repo.js';
import { GitCommitter } from '../../src/lock/commit.js';
import { removeTempDir } from '../support/nix.js';

/**
 * Records every git invocation, to show the token never reaches a command line, and runs git as on
 * a hosted runner: no global configuration, no identity in the environment.
 */
class RecordingRunner implements ProcessRunner {
  readonly calls: { args: readonly string[]; options: RunOptions }[] = [];
  constructor(
    private readonly inner: ProcessRunner,
    private readonly home: string,
  ) {}
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    this.calls.push({ args, options });
    const runner = {
      HOME: this.home,
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
    };
    return this.inner.run(command, args, { ...options, env: { ...runner, ...options.env } });
  }
}

const TOKEN = 'ghs_gitModeToken0123456789';

describe('commit-mode: git', () => {
  let dir: string;
  let checkout: string;
  let origin: string;
  let baseSha: string;
  const plain = new SpawnProcessRunner(new RecordingLogger());

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flakeflow-lock-update-git-'));
    const upstream = join(dir, 'upstream');
    await mkdir(join(upstream, 'infra'), { recursive: true });
    await writeFile(join(upstream, 'infra', 'flake.lock'), '{"old": true}\n');
    await initRepository(plain, upstream);
    baseSha = await commitAll(plain, upstream, 'Fleet');
    origin = join(dir, 'origin.git');
    await git(plain, dir, ['clone', '--quiet', '--bare', upstream, origin]);
    checkout = join(dir, 'checkout');
    await git(plain, dir, ['clone', '--quiet', origin, checkout]);
  });
  afterAll(() => removeTempDir(dir));

  function committer(runner: ProcessRunner, logger = new RecordingLogger()) {
    return new GitCommitter({
      runner,
      workspace: checkout,
      token: TOKEN,
      serverUrl: 'https://github.com',
      logger,
      tempDir: dir,
    });
  }

  it('force-pushes one commit on top of the base, leaving the checkout untouched', async () => {
    const runner = new RecordingRunner(plain, dir);
    const logger = new RecordingLogger();
    const change = {
      branch: 'flakeflow/lock-update',
      branchExists: false,
      baseSha,
      path: 'infra/flake.lock',
      headline: 'flake.lock: update',
      body: "• Updated input 'nixpkgs'",
    };
    const first = await committer(runner, logger).commit({ ...change, contents: '{"first": true}\n' });
    const second = await committer(runner, logger).commit({
      ...change,
      branchExists: true,
      contents: '{"second": true}\n',
    });

    expect(await git(plain, origin, ['rev-parse', 'refs/heads/flakeflow/lock-update'])).toBe(second);
    expect(await git(plain, origin, ['rev-parse', `${second}^`])).toBe(baseSha);
    expect(await git(plain, origin, ['rev-parse', `${first}^`])).toBe(baseSha);
    expect(await git(plain, origin, ['show', `${second}:infra/flake.lock`])).toBe('{"second": true}');
    expect(await git(plain, origin, ['log', '-1', '--format=%an%n%s%n%n%b', second])).toBe(
      "github-actions[bot]\nflake.lock: update\n\n• Updated input 'nixpkgs'",
    );
    // The checkout's HEAD, index and work tree are as they were.
    expect(await git(plain, checkout, ['rev-parse', 'HEAD'])).toBe(baseSha);
    expect(await git(plain, checkout, ['status', '--porcelain'])).toBe('');

    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    for (const call of runner.calls) expect(call.args.join(' ')).not.toContain(basic);
    const push = runner.calls.find((call) => call.args[0] === 'push');
    expect(push?.options.env).toMatchObject({
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
    });
    expect(logger.secrets.redact(basic)).toBe('***');
  });

  it('leaves authentication to the checkout when it kept its own header, as a second one is refused', async () => {
    await git(plain, checkout, [
      'config',
      'http.https://github.com/.extraheader',
      'AUTHORIZATION: basic xyz',
    ]);
    const runner = new RecordingRunner(plain, dir);
    await committer(runner).commit({
      branch: 'other',
      branchExists: false,
      baseSha,
      path: 'infra/flake.lock',
      contents: '{}\n',
      headline: 'h',
      body: 'b',
    });
    const push = runner.calls.find((call) => call.args[0] === 'push');
    expect(push?.options.env?.GIT_CONFIG_COUNT).toBeUndefined();
  });
});

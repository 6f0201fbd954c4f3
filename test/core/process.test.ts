import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { describeExit, SpawnProcessRunner, succeeded } from '../../src/core/process.js';

describe('SpawnProcessRunner', () => {
  it('captures stdout and stderr separately and passes arguments without a shell', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const result = await runner.run('sh', [
      '-c',
      'printf "%s" "$1"; printf err >&2; exit 3',
      'sh',
      '$HOME; rm -rf /',
    ]);
    expect(result.stdout).toBe('$HOME; rm -rf /');
    expect(result.stderr).toBe('err');
    expect(result.exitCode).toBe(3);
    expect(succeeded(result)).toBe(false);
    expect(describeExit(result)).toBe('exited with code 3');
  });

  it('passes children only the allowed variables of the step, then what the call adds or removes', async () => {
    const step = {
      PATH: process.env.PATH,
      HOME: '/home/runner',
      NIX_CONFIG: 'sandbox = false',
      LC_ALL: 'C.UTF-8',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      GIT_AUTHOR_NAME: 'octocat',
      INPUT_TOKEN: 'ghs_input',
      'INPUT_SSH-PRIVATE-KEY': 'key',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      ACTIONS_RESULTS_URL: 'https://results',
      GITHUB_TOKEN: 'ghs_env',
      GH_TOKEN: 'ghs_gh',
      NIX_SIGNING_KEY: 'cache-1:secret',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraheader',
      GIT_CONFIG_VALUE_0: 'AUTHORIZATION: basic c2VjcmV0',
      RESTIC_PASSWORD: 'hunter2',
      AWS_SECRET_ACCESS_KEY: 'aws',
    };
    const runner = new SpawnProcessRunner(new RecordingLogger(), undefined, step);
    const names = async (options = {}) =>
      (await runner.run('/usr/bin/env', [], options)).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('=')[0])
        .sort();
    expect(await names()).toEqual([
      'GIT_AUTHOR_NAME',
      'HOME',
      'LC_ALL',
      'NIX_CONFIG',
      'PATH',
      'SSH_AUTH_SOCK',
    ]);
    expect(await names({ env: { RESTIC_PASSWORD_FILE: '/run/pw', HOME: undefined } })).toEqual([
      'GIT_AUTHOR_NAME',
      'LC_ALL',
      'NIX_CONFIG',
      'PATH',
      'RESTIC_PASSWORD_FILE',
      'SSH_AUTH_SOCK',
    ]);
    expect(await names({ cleanEnv: true, env: { B: 'b' } })).toEqual(['B']);
  });

  it("gives a role's variables to the calls naming that role only, under the call's own", async () => {
    const step = { PATH: process.env.PATH, GIT_SSH_COMMAND: 'ssh -F /user/config' };
    const roles = { nix: { GIT_SSH_COMMAND: 'ssh -i /run/key', NIX_USER_CONF_FILES: '/run/nix.conf' } };
    const runner = new SpawnProcessRunner(new RecordingLogger(), undefined, step, roles);
    const shown = async (options = {}) =>
      (await runner.run('sh', ['-c', 'echo "[$GIT_SSH_COMMAND][$NIX_USER_CONF_FILES]"'], options)).stdout;
    expect(await shown()).toBe('[ssh -F /user/config][]\n');
    expect(await shown({ role: 'nix' })).toBe('[ssh -i /run/key][/run/nix.conf]\n');
    expect(await shown({ role: 'nix', env: { NIX_USER_CONF_FILES: undefined } })).toBe(
      '[ssh -i /run/key][]\n',
    );
    expect(await shown({ role: 'nix', cleanEnv: true })).toBe('[ssh -i /run/key][/run/nix.conf]\n');
  });

  it('inherits from the real process environment by default, through the same policy', async () => {
    process.env.INPUT_FLAKEFLOW_TEST = 'input';
    process.env.NO_COLOR = '1';
    try {
      const result = await new SpawnProcessRunner(new RecordingLogger()).run('sh', [
        '-c',
        'echo "[$INPUT_FLAKEFLOW_TEST][$NO_COLOR]"',
      ]);
      expect(result.stdout).toBe('[][1]\n');
    } finally {
      delete process.env.INPUT_FLAKEFLOW_TEST;
    }
  });

  it('feeds standard input and honours the working directory', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const result = await runner.run('sh', ['-c', 'cat; pwd'], { input: 'from stdin\n', cwd: '/tmp' });
    expect(result.stdout).toBe('from stdin\n/tmp\n');
  });

  it('kills the whole process group on timeout and says so', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const started = Date.now();
    const result = await runner.run('sh', ['-c', 'sleep 30 & sleep 30; echo never'], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(describeExit(result)).toMatch(/^timed out after \d+s$/);
  });

  it('stops when the abort signal fires', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await runner.run('sleep', ['30'], { signal: controller.signal });
    expect(result.signal).toBe('SIGTERM');
    expect(describeExit(result)).toBe('was killed by SIGTERM');
  });

  it('streams lines into a log group with secrets masked', async () => {
    const logger = new RecordingLogger();
    logger.mask('hunter2-password');
    const runner = new SpawnProcessRunner(logger, logger.secrets);
    const result = await runner.run('sh', ['-c', 'echo one; echo "pw=hunter2-password" >&2; printf tail'], {
      group: 'Build homeserver',
    });
    expect(result.stderr).toContain('hunter2-password');
    const streamed = logger.lines.filter((line) => line.level !== 'debug');
    expect(streamed[0]).toEqual({ level: 'group-start', message: 'Build homeserver' });
    expect(streamed.at(-1)).toEqual({ level: 'group-end', message: 'Build homeserver' });
    const body = streamed.slice(1, -1).map((line) => line.message);
    expect(body).toEqual(expect.arrayContaining(['one', 'pw=***', 'tail']));
    expect(logger.text()).not.toContain('hunter2-password');
  });

  it('turns a missing program into a UserError that says what to do', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    await expect(runner.run('definitely-not-a-flakeflow-tool', [])).rejects.toThrow(UserError);
    await expect(runner.run('definitely-not-a-flakeflow-tool', [])).rejects.toThrow(
      'definitely-not-a-flakeflow-tool was not found on PATH',
    );
  });

  it('with endGroupOnExit, finishes when the program exits and ends the child it left holding its output', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    const marker = `flakeflow-orphan-${process.pid}-${Date.now()}`;
    const started = Date.now();
    // The orphan keeps stdout and stderr open for 30 s, as deploy-rs's `activate-rs wait` does.
    const result = await runner.run(
      'sh',
      ['-c', `sh -c 'sleep 30; echo ${marker}' & echo activation failed >&2; exit 1`],
      { endGroupOnExit: true },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('activation failed\n');
    expect(result.stdout).not.toContain(marker);
    const { execFileSync } = await import('node:child_process');
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(left).not.toContain(marker);
  });
});

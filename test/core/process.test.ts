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

  it('controls the environment: adds, removes, or starts clean', async () => {
    const runner = new SpawnProcessRunner(new RecordingLogger());
    process.env.FLAKEFLOW_TEST_INHERITED = 'inherited';
    try {
      const added = await runner.run('sh', ['-c', 'echo "$A:$FLAKEFLOW_TEST_INHERITED"'], {
        env: { A: 'a' },
      });
      expect(added.stdout).toBe('a:inherited\n');
      const removed = await runner.run('sh', ['-c', 'echo "[$FLAKEFLOW_TEST_INHERITED]"'], {
        env: { FLAKEFLOW_TEST_INHERITED: undefined },
      });
      expect(removed.stdout).toBe('[]\n');
      const clean = await runner.run('/bin/sh', ['-c', 'echo "[$FLAKEFLOW_TEST_INHERITED][$B]"'], {
        cleanEnv: true,
        env: { B: 'b' },
      });
      expect(clean.stdout).toBe('[][b]\n');
    } finally {
      delete process.env.FLAKEFLOW_TEST_INHERITED;
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

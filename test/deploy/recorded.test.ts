// Every run of the real deploy-rs (master d5eff7f, over SSH to 127.0.0.1) goes through flakeflow's
// log reader and verdict; the verdicts and causes below are what a person reads in each log
// (test/fixtures/recorded/deploy-rs). A failed activation is judged from its own lines, not from the
// `[wait]` line that the waiter deploy-rs left behind prints minutes later.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { runDeployRs } from '../../src/deploy/deploy-rs.js';
import { DeployLog, DRY_RUN_PROVES, judgeDeployRun } from '../../src/deploy/deploy-rs-log.js';
import { tempDir } from '../gate/support.js';
import { EnvRunner, fakeDeploy } from './support.js';

const RECORDED = resolve(import.meta.dirname, '../fixtures/recorded/deploy-rs');
const read = (name: string, part: string) => readFile(join(RECORDED, `${name}.${part}`), 'utf8');

async function replay(name: string) {
  const log = new DeployLog();
  for (const line of `${await read(name, 'out')}${await read(name, 'err')}`.split('\n')) log.feed(line);
  const exitCode = Number(await read(name, 'exit'));
  const argv = await read(name, 'argv');
  const elapsed = Number(/^elapsed: (\S+)$/m.exec(await read(name, 'gens'))?.[1]);
  return {
    verdict: judgeDeployRun(log, { exitCode, dryActivate: argv.includes('--dry-activate') }),
    elapsed,
  };
}

const CONFIRMED = { status: 'deployed', message: 'activated and confirmed' };
const NOT_CONFIRMED = { status: 'deployed', message: 'activated (magic rollback off: not confirmed)' };

describe('the real deploy-rs runs, replayed', () => {
  it.each([
    ['good', CONFIRMED],
    ['good-r2', CONFIRMED],
    ['bad-prep', CONFIRMED],
    ['dry-prep', CONFIRMED],
    ['late-prep', NOT_CONFIRMED],
    ['noconfirm-prep', NOT_CONFIRMED],
    ['bad', { status: 'rolled-back', message: 'the activation script failed (exit 1); rolled back' }],
    [
      'multi-revoke',
      { status: 'rolled-back', message: 'the activation script failed (exit 1); rolled back' },
    ],
    [
      'noconfirm',
      {
        status: 'rolled-back',
        message: 'confirmation timed out: the node rolled back to its previous generation',
      },
    ],
    [
      'late',
      {
        status: 'rolled-back',
        message:
          'confirmation timed out (deploy-rs confirmed too late): the node rolled back to its previous generation',
      },
    ],
    ['dry', { status: 'dry-activated', message: DRY_RUN_PROVES }],
    ['dry-multi', { status: 'dry-activated', message: DRY_RUN_PROVES }],
    ['boot', { status: 'deployed', message: 'installed as the boot default; active after the next reboot' }],
    [
      'unreachable',
      {
        status: 'failed',
        message:
          'deploy-rs exited with code 1 while copying: ssh: connect to host 127.0.0.1 port 22699: Connection refused',
      },
    ],
  ])('%s', async (name, expected) => {
    expect((await replay(name)).verdict).toEqual(expected);
  });

  it('a failed activation ends deploy-rs within seconds; only its orphan waits for the activation timeout', async () => {
    const { elapsed } = await replay('bad');
    expect(elapsed).toBeLessThan(3);
    expect(await read('bad', 'err')).toMatch(
      /\[wait\] \[\S*ERROR\S*\] Error waiting for activation: Timeout elapsed/,
    );
  });

  it('a dry run says what it did not prove: deploy-rs hides a failing dry activation script', async () => {
    expect(await read('dry-multi', 'out')).toContain('[bad r3] DRY');
    expect(await read('dry-multi', 'err')).toContain('[bad] dry activation fails too');
    expect(DRY_RUN_PROVES).toMatch(/not proven/);
  });
});

describe('the fake deploy prints the recording and leaves its waiter behind, as the real one does', () => {
  it('a failing activation is judged at deploy-rs exit, its process group ended, long before the activation timeout', async () => {
    const dir = await tempDir('deploy-recorded');
    const fake = await fakeDeploy(dir, { latencyMs: 50, nodes: { web1: { mode: 'rollback' } } });
    const runner = new EnvRunner(new SpawnProcessRunner(new RecordingLogger()), fake.env);
    const started = Date.now();
    const run = await runDeployRs(runner, {
      command: ['deploy'],
      args: ['--skip-checks', '--targets', '.#web1'],
      flakeDir: dir,
      boundMs: 300_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.result.exitCode).toBe(1);
    expect(run.result.stderr).not.toContain('Error waiting for activation');
    expect(judgeDeployRun(run.log, { exitCode: run.result.exitCode, dryActivate: false })).toEqual({
      status: 'rolled-back',
      message: 'the activation script failed (exit 1); rolled back',
    });
    const recorded = (await read('bad', 'err')).replace(/\n👀 .*Error waiting for activation.*\n$/, '\n');
    const tail = (text: string) => text.split('\n').slice(-10).join('\n');
    expect(tail(run.result.stderr)).toBe(
      tail(recorded.replace(/`bad`/g, '`web1`').replace(/node bad /g, 'node web1 ')),
    );
  });
});

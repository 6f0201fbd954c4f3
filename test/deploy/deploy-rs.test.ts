import { describe, expect, it } from 'vitest';
import { activationBoundMs, type DeployRsFlags, deployRsArgs } from '../../src/deploy/deploy-rs.js';
import { DeployLog, judgeDeployRun, parseLogLine } from '../../src/deploy/deploy-rs-log.js';

const FLAGS: DeployRsFlags = {
  skipChecks: false,
  dryActivate: false,
  boot: false,
  magicRollback: true,
  autoRollback: true,
  remoteBuild: false,
  substituteOnNodes: true,
};

function logOf(text: string): DeployLog {
  const log = new DeployLog();
  for (const line of text.split('\n')) log.feed(line);
  return log;
}

describe('deploy-rs log lines', () => {
  it('reads the source, level and message, with ANSI colours and the old ℹ without U+FE0F', () => {
    expect(parseLogLine('🚀 ℹ️ [deploy] [INFO] Evaluating flake in .')).toEqual({
      source: 'deploy',
      level: 'INFO',
      message: 'Evaluating flake in .',
    });
    expect(
      parseLogLine(
        '\u001b[1m⭐\u001b[0m ℹ \u001b[35m[activate]\u001b[0m \u001b[32m[INFO]\u001b[0m Activating profile',
      ),
    ).toEqual({
      source: 'activate',
      level: 'INFO',
      message: 'Activating profile',
    });
    expect(
      parseLogLine('👀 ❌ [wait] [ERROR] Error waiting for activation: Timeout elapsed for confirmation')
        ?.level,
    ).toBe('ERROR');
    expect(parseLogLine('switching profile from version 45 to 44')).toBeUndefined();
    expect(parseLogLine('[media.system]')).toBeUndefined();
  });

  it('follows the phases and reports each change once', () => {
    const log = new DeployLog();
    const phases = [
      '🚀 ℹ️ [deploy] [INFO] Running checks for flake in .',
      '🚀 ℹ️ [deploy] [INFO] Evaluating flake in .',
      '🚀 ℹ️ [deploy] [INFO] Building profile `system` for node `pi` on remote host',
      '🚀 ℹ️ [deploy] [INFO] Copying profile `system` to node `pi`',
      '🚀 ℹ️ [deploy] [INFO] Activating profile `system` for node `pi`',
      '🚀 ℹ️ [deploy] [INFO] Creating activation waiter',
      '⭐ ℹ️ [activate] [INFO] Activating profile',
      '🚀 ℹ️ [deploy] [INFO] Success activating, attempting to confirm activation',
    ].map((line) => log.feed(line));
    expect(phases).toEqual([
      'checking',
      'evaluating',
      'building',
      'copying',
      'activating',
      undefined,
      undefined,
      'confirming',
    ]);
    expect(log.activationStarted).toBe(true);
  });
});

describe('judging a deploy-rs run', () => {
  const confirmed = logOf(
    '🚀 ℹ️ [deploy] [INFO] Activating profile `system` for node `a`\n🚀 ℹ️ [deploy] [INFO] Deployment confirmed.',
  );

  it('trusts success only with deploy-rs saying so and no error in the log', () => {
    expect(judgeDeployRun(confirmed, { exitCode: 0, dryActivate: false }).status).toBe('deployed');
    expect(judgeDeployRun(logOf(''), { exitCode: 0, dryActivate: false })).toEqual({
      status: 'failed',
      message: 'deploy-rs exited 0 but never reported a successful activation',
    });
    // Old deploy-rs releases exit 0 after a failed activation.
    const failedButZero = logOf(
      '🚀 ❌ [deploy] [ERROR] Activating over SSH resulted in a bad exit code: Some(1)',
    );
    expect(judgeDeployRun(failedButZero, { exitCode: 0, dryActivate: false })).toEqual({
      status: 'failed',
      message:
        'deploy-rs reported an error (deploy-rs exited 0 nonetheless): Activating over SSH resulted in a bad exit code: Some(1)',
    });
    expect(judgeDeployRun(confirmed, { exitCode: 0, dryActivate: true }).status).toBe('failed');
  });

  it("does not call a node rolled back on deploy-rs's word alone (#241)", () => {
    const claimed = logOf(
      '🚀 ❌ [deploy] [ERROR] Failed to push profile to node a: Nix copy command resulted in a bad exit code: Some(1)\n' +
        '🚀 ❌ [deploy] [ERROR] Deployment to node a failed, rolled back to previous generation',
    );
    expect(judgeDeployRun(claimed, { exitCode: 1, dryActivate: false })).toEqual({
      status: 'failed',
      message:
        'deploy-rs exited with code 1: Failed to push profile to node a: Nix copy command resulted in a bad exit code: Some(1)',
    });
  });

  it('reports a hung run as a timeout before anything else', () => {
    expect(
      judgeDeployRun(confirmed, { exitCode: null, dryActivate: false, hungAfterMs: 271_000 }).message,
    ).toMatch(/^timeout: no result 271 s after activation started/);
  });
});

describe('deploy-rs arguments', () => {
  it('targets one node, quoting names Nix needs quoted', () => {
    expect(deployRsArgs('media', FLAGS, [])).toEqual(['--targets', '.#media']);
    expect(deployRsArgs('web.eu', FLAGS, ['-p', '22'])).toEqual([
      '--targets',
      '.#"web.eu"',
      '--ssh-opts=-p 22',
    ]);
  });

  it("leaves the flake's fastConnection alone unless substitute-on-nodes is false", () => {
    expect(deployRsArgs('media', FLAGS, [])).not.toContain('--fast-connection');
    expect(deployRsArgs('media', { ...FLAGS, substituteOnNodes: false }, [])).toEqual([
      '--targets',
      '.#media',
      '--fast-connection',
      'true',
    ]);
  });

  it('refuses an ssh option deploy-rs would split', () => {
    expect(() =>
      deployRsArgs('media', FLAGS, ['-o', 'UserKnownHostsFile=/run/runner temp/known_hosts']),
    ).toThrow(
      "SSH option 'UserKnownHostsFile=/run/runner temp/known_hosts' contains a space, which deploy-rs cannot pass on: it splits --ssh-opts on spaces",
    );
  });

  it('bounds a run by activation-timeout, confirm-timeout and the margin', () => {
    expect(activationBoundMs(FLAGS, 30_000)).toBe(300_000);
    expect(activationBoundMs({ ...FLAGS, activationTimeout: 60, confirmTimeout: 10 }, 5_000)).toBe(75_000);
    expect(activationBoundMs({ ...FLAGS, magicRollback: false }, 0)).toBe(240_000);
  });
});

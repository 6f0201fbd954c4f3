import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withNixRunner } from '../../src/actions/nix-runner.js';
import { MemoryState } from '../../src/cli/context.js';
import { readCleanupPaths } from '../../src/core/cleanup.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { readRunContext } from '../../src/core/runtime.js';

const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function environment() {
  const runnerTemp = await mkdtemp(join(tmpdir(), 'flakeflow-nix-runner-'));
  temps.push(runnerTemp);
  const logger = new RecordingLogger();
  const state = new MemoryState();
  return {
    runnerTemp,
    logger,
    state,
    value: { context: readRunContext({ RUNNER_TEMP: runnerTemp }), logger, state },
  };
}

describe('withNixRunner', () => {
  it('gives Nix processes the access, masks the secrets, registers the directory and removes it after the work', async () => {
    const { runnerTemp, logger, state, value } = await environment();
    const seen = await withNixRunner(
      {
        sshKey: KEY,
        knownHosts: 'h ssh-ed25519 AAAA',
        accessTokens: [{ host: 'github.com', token: 'ghp_masked' }],
      },
      value,
      async (runner) => {
        const nix = await runner.run('sh', ['-c', 'echo "$GIT_SSH_COMMAND|$NIX_USER_CONF_FILES"'], {
          role: 'nix',
        });
        const other = await runner.run('sh', ['-c', 'echo "$GIT_SSH_COMMAND|$NIX_USER_CONF_FILES"']);
        return { nix: nix.stdout.trim(), other: other.stdout.trim(), dirs: await readdir(runnerTemp) };
      },
    );
    expect(seen.dirs).toEqual([expect.stringMatching(/^flakeflow-nix-access-/)]);
    const directory = join(runnerTemp, seen.dirs[0] as string);
    expect(seen.nix).toBe(
      `ssh -i '${directory}/id_inputs' -o IdentitiesOnly=yes -o UserKnownHostsFile='${directory}/known_hosts' ` +
        `-o StrictHostKeyChecking=yes -o BatchMode=yes|${directory}/nix.conf:${process.env.XDG_CONFIG_HOME ?? join(process.env.HOME ?? '', '.config')}/nix/nix.conf:` +
        `${(process.env.XDG_CONFIG_DIRS ?? '/etc/xdg')
          .split(':')
          .map((dir) => `${dir}/nix/nix.conf`)
          .join(':')}`,
    );
    expect(seen.other).toBe('|');
    expect(readCleanupPaths(state)).toEqual([directory]);
    expect(existsSync(directory)).toBe(false);
    logger.info('token ghp_masked and key line b3BlbnNzaC1rZXktdjEAAAAA');
    expect(logger.lines.at(-1)?.message).toBe('token *** and key line ***');
  });

  it('removes the directory when the work fails too', async () => {
    const { runnerTemp, value } = await environment();
    await expect(
      withNixRunner({ accessTokens: [{ host: 'github.com', token: 'ghp_x' }] }, value, async () => {
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await readdir(runnerTemp)).toEqual([]);
  });
});

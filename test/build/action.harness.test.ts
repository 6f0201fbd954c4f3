import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinaryCache } from '../../scripts/binary-cache-server.mjs';
import { resultFile } from '../../src/build/build-result.js';
import type { SpawnProcessRunner } from '../../src/core/process.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

describeEachVersion(NIX_VERSIONS, 'the built build action on real Nix', () => {
  let runner: SpawnProcessRunner;
  let tempDir: string;
  let example: ExampleFleet;

  beforeAll(async () => {
    ({ runner } = await requireNix());
    const bundle = join(repositoryRoot, 'dist', 'build', 'index.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
    tempDir = await makeTempDir('build-harness');
    example = await materializeExampleFleet(join(tempDir, 'example'));
  });
  afterAll(() => removeTempDir(tempDir));

  describe('the built build action, run as the runner runs it', () => {
    it('builds a host, pushes it signed with a masked key, and sets its outputs', async () => {
      const key = await runner.run('nix', [
        'key',
        'generate-secret',
        '--extra-experimental-features',
        'nix-command',
        '--key-name',
        'harness-1',
      ]);
      const cache = join(tempDir, 'cache');
      const run = await runAction({
        action: 'build',
        inputs: { path: 'homelab', host: 'gateway', 'push-to': `file://${cache}`, 'signing-key': key.stdout },
        workspace: example.rootDir,
      });
      expect(errorLines(run)).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.masks).toContain(key.stdout);
      expect(run.visibleLog).not.toContain(key.stdout.trim());
      expect(run.outputs['out-path']).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nixos-system-gateway-24\.11$/);
      expect(run.outputs['drv-path']).toMatch(
        /^\/nix\/store\/[0-9a-z]{32}-nixos-system-gateway-24\.11\.drv$/,
      );
      expect(Number(run.outputs['closure-size'])).toBeGreaterThan(0);
      expect(run.outputs['result-file']).toBe(
        join(run.runnerTemp, 'flakeflow-results', 'flakeflow-result-gateway.json'),
      );
      const file = resultFile.parse(JSON.parse(await readFile(run.outputs['result-file'] as string, 'utf8')));
      expect(file.results[0]).toMatchObject({
        host: 'gateway',
        status: 'built',
        pushedTo: `file://${cache}`,
      });
      expect(run.summary).toContain('### Build');
      expect(run.summary).toContain('| gateway | x86_64-linux | ✅ built |');
      expect(run.summary).toContain(`📤 Pushed to \`file://${cache}\`.`);
    });

    it('pushes to a cache that takes uploads only with the netrc login, the password masked and gone after', async () => {
      const password = 'harness-pw-Lq83xZ0v';
      const cache = await startBinaryCache({
        dir: join(tempDir, 'login-cache'),
        uploads: true,
        login: { user: 'ci', password },
      });
      try {
        const run = await runAction({
          action: 'build',
          inputs: {
            path: 'homelab',
            host: 'gateway',
            'push-to': cache.url,
            netrc: `machine 127.0.0.1 login ci password ${password}`,
          },
          workspace: example.rootDir,
        });
        expect(errorLines(run)).toEqual([]);
        expect(run.exitCode).toBe(0);
        expect(run.masks).toContain(password);
        expect(`${run.visibleLog}\n${run.summary}`).not.toContain(password);
        expect(cache.requests.filter((request) => request.method === 'PUT').every((r) => r.authorized)).toBe(
          true,
        );
        expect(await cache.narinfoNames()).not.toEqual([]);
        expect(
          readdirSync(run.runnerTemp).filter((name) => name.startsWith('flakeflow-nix-access-')),
        ).toEqual([]);
      } finally {
        await cache.close();
      }
    });

    it('fails with one line when a host does not exist, still writing the result-file', async () => {
      const run = await runAction({
        action: 'build',
        inputs: { path: 'homelab', host: 'ghost' },
        workspace: example.rootDir,
      });
      expect(run.exitCode).toBe(1);
      expect(errorLines(run)).toContain(
        "ghost failed: no host named 'ghost' in nixosConfigurations, darwinConfigurations, homeConfigurations or checks",
      );
      expect(existsSync(run.outputs['result-file'] as string)).toBe(true);
    });
  });
});

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import type { HostEntry, MatrixEntry } from '../../src/hosts/matrix.js';
import { errorLines, repositoryRoot, runAction } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { editHostModule } from './support.js';

describeEachVersion(NIX_VERSIONS, 'the built hosts action on real Nix', () => {
  let tempDir: string;
  let example: ExampleFleet;

  beforeAll(async () => {
    await requireNix();
    const bundle = join(repositoryRoot, 'dist', 'hosts', 'index.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
    tempDir = await makeTempDir('hosts-harness');
    example = await materializeExampleFleet(join(tempDir, 'example'));
  });
  afterAll(() => removeTempDir(tempDir));

  describe('the built hosts action, run as the runner runs it', () => {
    it('sets matrix, hosts, count and empty, and writes the job summary', async () => {
      const run = await runAction({
        action: 'hosts',
        inputs: { path: 'homelab', runners: '{x86_64-linux: [self-hosted, nix]}' },
        workspace: example.rootDir,
      });
      expect(errorLines(run)).toEqual([]);
      expect(run.exitCode).toBe(0);
      const matrix = JSON.parse(run.outputs.matrix as string) as { include: MatrixEntry[] };
      expect(matrix.include.map((entry) => [entry.host, entry.runner])).toEqual([
        ['gateway', ['self-hosted', 'nix']],
        ['homeserver', ['self-hosted', 'nix']],
        ['media', ['self-hosted', 'nix']],
        ['pi', 'ubuntu-24.04-arm'],
        ['laptop', 'macos-latest'],
        ['alice@workstation', ['self-hosted', 'nix']],
      ]);
      expect(Object.keys(matrix.include[0] as object)).toEqual([
        'host',
        'kind',
        'system',
        'runner',
        'attr',
        'drvPath',
        'evalOnly',
      ]);
      const hosts = JSON.parse(run.outputs.hosts as string) as HostEntry[];
      expect(hosts.map((host) => host.status)).toEqual([
        'build',
        'build',
        'build',
        'build',
        'build',
        'build',
      ]);
      expect(run.outputs.count).toBe('6');
      expect(run.outputs.empty).toBe('false');
      expect(run.summary).toContain('### Fleet hosts');
      expect(run.summary).toContain('| pi | NixOS | aarch64-linux | ubuntu-24.04-arm | 🔨 build |');
    });

    it('fails with an annotation naming the host that does not evaluate, pinned to its module', async () => {
      const fleet = await generateFleet(join(tempDir, 'workspace', 'fleet'), 4);
      await editHostModule(
        fleet.flakeDir,
        'srv-002',
        (text) => text.replace('"srv-002";', 'undefinedName;'),
        'break',
      );
      const run = await runAction({
        action: 'hosts',
        inputs: { path: 'fleet' },
        workspace: join(tempDir, 'workspace'),
      });
      expect(run.exitCode).toBe(1);
      const annotation = run.annotations.find((item) => item.properties.file);
      expect(annotation?.properties).toMatchObject({
        file: 'fleet/hosts/srv-002/default.nix',
        line: '9',
        col: '25',
      });
      expect(annotation?.properties.title).toBe('srv-002 (NixOS): failed to evaluate');
      expect(annotation?.message).toMatch(/^error: undefined variable 'undefinedName'/);
      expect(errorLines(run)).toContain('1 host(s) failed: srv-002 (failed to evaluate)');
      const matrix = JSON.parse(run.outputs.matrix as string) as { include: MatrixEntry[] };
      expect(matrix.include.map((entry) => entry.host)).toEqual(['srv-001', 'srv-003', 'srv-004']);
    });

    it('reports an empty matrix as empty', async () => {
      const run = await runAction({
        action: 'hosts',
        inputs: { path: 'homelab', include: 'nothing-*' },
        workspace: example.rootDir,
      });
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toMatchObject({ matrix: '{"include":[]}', count: '0', empty: 'true' });
    });
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { commitAll } from '../../src/demo/git-repo.js';
import { hostsSummary } from '../../src/hosts/summary.js';
import { evaluateInWorkers } from '../../src/nix/eval-workers.js';
import { fleetExpression } from '../../src/nix/fleet-expression.js';
import type { EvaluationRequest, FleetRecord } from '../../src/nix/fleet-hosts.js';
import { NixEvalFleetEvaluator } from '../../src/nix/fleet-nix-eval.js';
import { evaluateHostListInPool, PooledFleetEvaluator } from '../../src/nix/fleet-pool.js';
import { hostKey } from '../../src/nix/fleet-types.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { editHostModule, runHosts } from './support.js';

const MiB = 1024;
let tempDir: string;
let example: ExampleFleet;
const runner = new SpawnProcessRunner(new RecordingLogger());

function request(flakeDir: string): EvaluationRequest {
  return { flakeDir, kinds: ['nixos', 'darwin', 'home', 'checks'], label: 'the working tree' };
}

/** The one-process evaluation and the pool's, as the JSON the hosts action would build from them. */
async function bothWays(flakeDir: string, workers: number) {
  const logger = new RecordingLogger();
  const single = await new NixEvalFleetEvaluator(runner, { logger }).evaluate(request(flakeDir));
  const pooled = await new PooledFleetEvaluator({
    runner,
    logger,
    limits: { workers, maxMemoryKiB: 4096 * MiB },
  }).evaluate(request(flakeDir));
  const shape = ({ hosts, failed, unselected }: typeof single) =>
    JSON.stringify({ hosts, failed, unselected });
  return { single, pooled, singleJson: shape(single), pooledJson: shape(pooled) };
}

/** Gives one host of a generated fleet a ballast of `mib` MiB (see nix/examples/generated/flake.nix). */
async function weighHost(flakeDir: string, host: string, mib: number) {
  const file = join(flakeDir, 'hosts.nix');
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text.replace(`module = ./hosts/${host};`, `module = ./hosts/${host};\n    ballast = ${mib * 128};`),
  );
  await commitAll(runner, flakeDir, `${host} holds ${mib} MiB`);
}

describeEachVersion(NIX_VERSIONS, 'hosts evaluated by a pool of bounded nix eval processes', () => {
  beforeAll(async () => {
    await requireNix();
    tempDir = await makeTempDir('hosts-pooled');
    example = await materializeExampleFleet(join(tempDir, 'example'));
  });
  afterAll(() => removeTempDir(tempDir));

  it('gives the example fleet the same hosts as one process, to the byte', async () => {
    const { pooled, singleJson, pooledJson } = await bothWays(example.flakeDir, 3);
    expect(pooled.hosts).toHaveLength(8);
    expect(pooledJson).toBe(singleJson);
  });

  it('gives a generated fleet with broken hosts the same hosts and the same errors as one process', async () => {
    const fleet = await generateFleet(join(tempDir, 'broken'), 20);
    await editHostModule(
      fleet.flakeDir,
      'srv-002',
      (text) => text.replace('"srv-002";', 'undefinedName;'),
      'b1',
    );
    await editHostModule(
      fleet.flakeDir,
      'srv-014',
      (text) => text.replace('"srv-014";', 'throw "srv-014 has no hostname yet";'),
      'b2',
    );
    const { pooled, singleJson, pooledJson } = await bothWays(fleet.flakeDir, 2);
    expect(pooled.failed.map(hostKey)).toEqual(['nixos/srv-002', 'nixos/srv-014']);
    expect(pooled.failed[0]?.error).toMatch(/^error: undefined variable 'undefinedName'/);
    expect(pooled.failed[1]?.error).toMatch(/^error: srv-014 has no hostname yet/);
    expect(pooled.hosts).toHaveLength(18);
    expect(pooledJson).toBe(singleJson);
  });

  it('replaces a process that passed eval-max-memory and keeps every process near the limit', async () => {
    const fleet = await generateFleet(join(tempDir, 'heavy'), 8, { heldMiB: 40 });
    const plain = (await runHosts(fleet.flakeDir, tempDir, { 'eval-workers': '8' })).result;
    const { result } = await runHosts(fleet.flakeDir, tempDir, {
      'eval-workers': '1',
      'eval-max-memory': '100MiB',
    });
    const workers = result.workers;
    expect(workers?.replaced).toBeGreaterThanOrEqual(1);
    // The limit, one more host, and what Nix itself holds.
    expect(workers?.peakKiB).toBeLessThan((100 + 40 + 40) * MiB);
    expect(workers?.overLimitAlone).toEqual([]);
    expect(result.hosts.map((host) => host.drvPath)).toEqual(plain.hosts.map((host) => host.drvPath));
    expect(result.hosts.every((host) => host.drvPath?.endsWith('.drv'))).toBe(true);
    expect(hostsSummary(result)).toContain('`eval-workers` 1, `eval-max-memory` 100.0 MiB:');
  });

  it('still evaluates a host that alone needs more than the limit, and the summary names it', async () => {
    const fleet = await generateFleet(join(tempDir, 'one-heavy'), 6);
    await weighHost(fleet.flakeDir, 'srv-003', 80);
    const plain = (await runHosts(fleet.flakeDir, tempDir)).result;
    const { result } = await runHosts(fleet.flakeDir, tempDir, {
      'eval-workers': '2',
      'eval-max-memory': '60MiB',
    });
    expect(result.workers?.overLimitAlone).toEqual(['nixos/srv-003']);
    expect(result.hosts.find((host) => host.host === 'srv-003')).toMatchObject({
      status: 'build',
      drvPath: plain.hosts.find((host) => host.host === 'srv-003')?.drvPath,
    });
    expect(result.hosts.map((host) => host.drvPath)).toEqual(plain.hosts.map((host) => host.drvPath));
    expect(hostsSummary(result)).toContain(
      'Over the limit alone, each in a process of its own: `nixos/srv-003`',
    );
  });

  it('answers for a host the flake does not have instead of asking again', async () => {
    const { outcomes, stats } = await evaluateInWorkers<FleetRecord>(['nixos/gateway', 'nixos/nope'], {
      runner,
      limits: { workers: 1, maxMemoryKiB: 4096 * MiB },
      expression: (batch) =>
        fleetExpression({
          flakeDir: example.flakeDir,
          kinds: ['nixos'],
          ...('keys' in batch ? { only: batch.keys } : { shard: batch.shard }),
        }),
    });
    expect(outcomes[0]).toMatchObject({ key: 'nixos/gateway', record: { name: 'gateway' } });
    expect(outcomes[1]).toEqual({
      key: 'nixos/nope',
      error: 'the evaluator ended without evaluating this host',
    });
    expect(stats.processes).toBe(1);
  });

  it('evaluates a host list through nix/fleet.nix in the pool, in the order asked', async () => {
    const single = await new NixEvalFleetEvaluator(runner, { logger: new RecordingLogger() }).evaluate(
      request(example.flakeDir),
    );
    const hosts = [...single.hosts].reverse().map(({ kind, name }) => ({ kind, name }));
    const { outcomes, stats } = await evaluateHostListInPool(
      { runner, limits: { workers: 2, maxMemoryKiB: 4096 * MiB } },
      { flakeDir: example.flakeDir, hosts },
    );
    expect(outcomes.map(hostKey)).toEqual(hosts.map(hostKey));
    expect(outcomes.map((outcome) => ('error' in outcome ? outcome.error : outcome.drvPath))).toEqual(
      [...single.hosts].reverse().map((host) => host.drvPath),
    );
    expect(outcomes.map((outcome) => ('error' in outcome ? '' : outcome.outPath))).toEqual(
      [...single.hosts].reverse().map((host) => host.outPath),
    );
    expect(stats.processes).toBeGreaterThanOrEqual(2);
    expect(stats.peakKiB).toBeGreaterThan(0);
  });

  it('leaves out a host the flake does not have, as evaluateHostList does', async () => {
    const { outcomes } = await evaluateHostListInPool(
      { runner, limits: { workers: 1, maxMemoryKiB: 4096 * MiB } },
      {
        flakeDir: example.flakeDir,
        hosts: [
          { kind: 'nixos', name: 'gateway' },
          { kind: 'nixos', name: 'nope' },
        ],
      },
    );
    expect(outcomes.map(hostKey)).toEqual(['nixos/gateway']);
  });
});

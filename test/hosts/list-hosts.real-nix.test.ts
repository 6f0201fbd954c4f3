import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { installable, type NixCli } from '../../src/nix/cli.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { editHostModule, runHosts } from './support.js';

describeEachVersion(NIX_VERSIONS, 'hosts on real Nix', () => {
  let nix: NixCli;
  let tempDir: string;
  let example: ExampleFleet;
  let fleets = 0;

  beforeAll(async () => {
    ({ nix } = await requireNix());
    tempDir = await makeTempDir('hosts');
    example = await materializeExampleFleet(join(tempDir, 'example'));
  });
  afterAll(() => removeTempDir(tempDir));

  function newFleet(hosts: number) {
    fleets += 1;
    return generateFleet(join(tempDir, `fleet-${fleets}`), hosts);
  }

  describe('hosts on the example fleet', () => {
    it('enumerates every kind with its system, runner and derivation', async () => {
      const { result } = await runHosts(example.rootDir, tempDir, {
        path: 'homelab',
        kinds: 'nixos,darwin,home,checks',
      });
      const summary = result.hosts.map(({ host, kind, system, runner, status }) => ({
        host,
        kind,
        system,
        runner,
        status,
      }));
      expect(summary).toEqual([
        { host: 'gateway', kind: 'nixos', system: 'x86_64-linux', runner: 'ubuntu-latest', status: 'build' },
        {
          host: 'homeserver',
          kind: 'nixos',
          system: 'x86_64-linux',
          runner: 'ubuntu-latest',
          status: 'build',
        },
        { host: 'media', kind: 'nixos', system: 'x86_64-linux', runner: 'ubuntu-latest', status: 'build' },
        { host: 'pi', kind: 'nixos', system: 'aarch64-linux', runner: 'ubuntu-24.04-arm', status: 'build' },
        { host: 'laptop', kind: 'darwin', system: 'aarch64-darwin', runner: 'macos-latest', status: 'build' },
        {
          host: 'alice@workstation',
          kind: 'home',
          system: 'x86_64-linux',
          runner: 'ubuntu-latest',
          status: 'build',
        },
        {
          host: 'checks.aarch64-linux.deploy-waves',
          kind: 'checks',
          system: 'aarch64-linux',
          runner: 'ubuntu-24.04-arm',
          status: 'build',
        },
        {
          host: 'checks.x86_64-linux.deploy-waves',
          kind: 'checks',
          system: 'x86_64-linux',
          runner: 'ubuntu-latest',
          status: 'build',
        },
      ]);
      expect(result.evaluator).toBe('nix eval');
      // Each worker's process lists the hosts itself and evaluates its share: no other `nix eval`.
      expect(result.workers?.processes).toBeGreaterThanOrEqual(result.workers?.workers ?? 1);
      expect(result.processes).toBe(result.workers?.processes);
      expect(result.count).toBe(8);

      const pi = result.matrix.find((entry) => entry.host === 'pi');
      const piPath = ['nixosConfigurations', 'pi', 'config', 'system', 'build', 'toplevel'];
      expect(pi).toMatchObject({
        kind: 'nixos',
        system: 'aarch64-linux',
        runner: 'ubuntu-24.04-arm',
        attr: 'nixosConfigurations.pi.config.system.build.toplevel',
        evalOnly: false,
      });
      expect(pi?.drvPath).toBe(await nix.evalJson(`${installable(example.flakeDir, piPath)}.drvPath`));
      const laptop = result.hosts.find((host) => host.host === 'laptop');
      expect(laptop?.attr).toBe('darwinConfigurations.laptop.system');
      expect(laptop?.outPath).toBe(
        await nix.evalJson(
          `${installable(example.flakeDir, ['darwinConfigurations', 'laptop', 'system'])}.outPath`,
        ),
      );
      expect(result.hosts.find((host) => host.kind === 'home')?.attr).toBe(
        'homeConfigurations."alice@workstation".activationPackage',
      );
    });

    it('merges the runners input over the defaults, keeping lists of labels', async () => {
      const { result } = await runHosts(example.rootDir, tempDir, {
        path: 'homelab',
        runners: 'x86_64-linux: [self-hosted, nix]\naarch64-darwin: macos-14',
      });
      const runners = Object.fromEntries(result.matrix.map((entry) => [entry.host, entry.runner]));
      expect(runners).toEqual({
        gateway: ['self-hosted', 'nix'],
        homeserver: ['self-hosted', 'nix'],
        media: ['self-hosted', 'nix'],
        pi: 'ubuntu-24.04-arm',
        laptop: 'macos-14',
        'alice@workstation': ['self-hosted', 'nix'],
      });
    });

    it('refuses a path without a flake, naming the input', async () => {
      await expect(runHosts(example.rootDir, tempDir, { path: 'nowhere' })).rejects.toThrow(
        new UserError(
          `Input 'path' must be a directory holding a flake.nix, got 'nowhere' (${join(example.rootDir, 'nowhere')})`,
        ),
      );
    });
  });

  describe('hosts on generated fleets', () => {
    it('puts a host whose system has no runner in the matrix as eval-only, or skips or fails it', async () => {
      const fleet = await newFleet(10);
      await editHostModule(
        fleet.flakeDir,
        'arm-007',
        (text) => text.replace('"aarch64-linux"', '"riscv64-linux"'),
        'riscv',
      );
      const evalOnly = (await runHosts(fleet.flakeDir, tempDir)).result;
      const board = evalOnly.hosts.find((host) => host.host === 'arm-007');
      expect(board).toMatchObject({
        status: 'eval-only',
        system: 'riscv64-linux',
        reason: 'no runner for riscv64-linux',
      });
      expect(board?.runner).toBeUndefined();
      expect(evalOnly.matrix.find((entry) => entry.host === 'arm-007')).toMatchObject({
        evalOnly: true,
        runner: 'ubuntu-latest',
        system: 'riscv64-linux',
      });
      expect(evalOnly.matrix.filter((entry) => entry.evalOnly)).toHaveLength(1);

      const skipped = (await runHosts(fleet.flakeDir, tempDir, { unmapped: 'skip' })).result;
      expect(skipped.hosts.find((host) => host.host === 'arm-007')?.status).toBe('skipped');
      expect(skipped.matrix.map((entry) => entry.host)).not.toContain('arm-007');
      expect(skipped.count).toBe(9);

      const failed = (
        await runHosts(fleet.flakeDir, tempDir, {
          unmapped: 'fail',
          runners: '{riscv64-linux: [self-hosted, riscv]}',
        })
      ).result;
      expect(failed.hosts.find((host) => host.host === 'arm-007')).toMatchObject({
        status: 'build',
        runner: ['self-hosted', 'riscv'],
      });
      const refused = (await runHosts(fleet.flakeDir, tempDir, { unmapped: 'fail' })).result;
      expect(refused.hosts.find((host) => host.host === 'arm-007')).toMatchObject({
        status: 'failed',
        reason: 'no runner for riscv64-linux',
      });
    });

    it('keeps only hosts matching include and not exclude, listing the rest as skipped', async () => {
      const fleet = await newFleet(10);
      const { result } = await runHosts(fleet.flakeDir, tempDir, {
        include: 'srv-*, mac-00?',
        exclude: 'srv-00[24]',
      });
      expect(result.matrix.map((entry) => entry.host)).toEqual([
        'srv-001',
        'srv-003',
        'srv-005',
        'srv-006',
        'mac-009',
      ]);
      const skipped = result.hosts.filter((host) => host.status === 'skipped');
      expect(skipped.map((host) => [host.host, host.reason])).toEqual([
        ['arm-007', 'not matched by include (srv-*, mac-00?)'],
        ['arm-008', 'not matched by include (srv-*, mac-00?)'],
        ['srv-002', 'excluded (srv-00[24])'],
        ['srv-004', 'excluded (srv-00[24])'],
        ['dev@ws-010', 'not matched by include (srv-*, mac-00?)'],
      ]);
      expect(skipped.every((host) => host.drvPath === undefined)).toBe(true);
    });

    it('names each host that fails to evaluate with Nix’s message and still lists the others', async () => {
      const fleet = await newFleet(10);
      await editHostModule(
        fleet.flakeDir,
        'srv-002',
        (text) => text.replace('"srv-002";', 'undefinedName;'),
        'break srv-002',
      );
      await editHostModule(
        fleet.flakeDir,
        'srv-004',
        (text) => text.replace('"srv-004";', 'throw "srv-004 has no hostname yet";'),
        'break srv-004',
      );
      const { result } = await runHosts(fleet.flakeDir, tempDir);
      const failed = result.hosts.filter((host) => host.status === 'failed');
      expect(failed.map((host) => host.host)).toEqual(['srv-002', 'srv-004']);
      expect(failed[0]?.error).toMatch(/^error: undefined variable 'undefinedName'/);
      expect(failed[0]?.error).toContain('hosts/srv-002/default.nix:9:');
      expect(failed[1]?.error).toMatch(/^error: srv-004 has no hostname yet/);
      expect(result.matrix.map((entry) => entry.host).sort()).toEqual(
        ['arm-007', 'arm-008', 'dev@ws-010', 'mac-009', 'srv-001', 'srv-003', 'srv-005', 'srv-006'].sort(),
      );
      // Each failure ends its process; the hosts left of its batch go on in a fresh one.
      expect(result.workers?.replaced).toBe(0);
      expect(result.processes).toBeGreaterThanOrEqual(3);
    });

    it('reports a flake that does not evaluate at all as one error', async () => {
      const fleet = await newFleet(3);
      await writeFile(join(fleet.flakeDir, 'hosts.nix'), '{ broken = ; }\n');
      await expect(runHosts(fleet.flakeDir, tempDir)).rejects.toThrow(
        /^The flake of the working tree does not evaluate:\nerror: syntax error/,
      );
    });
  });
});

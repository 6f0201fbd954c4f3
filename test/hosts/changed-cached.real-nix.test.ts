import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { commitAll, git } from '../../src/demo/git-repo.js';
import { fetchNarinfoProbe } from '../../src/hosts/binary-cache.js';
import type { NixCli } from '../../src/nix/cli.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { addHost, editHostModule, runHosts } from './support.js';

describeEachVersion(NIX_VERSIONS, 'hosts: changed-since, skip-cached, max-jobs on real Nix', () => {
  let nix: NixCli;
  let runner: SpawnProcessRunner;
  let tempDir: string;
  let fleets = 0;

  beforeAll(async () => {
    ({ nix, runner } = await requireNix());
    tempDir = await makeTempDir('hosts-changed');
  });
  afterAll(() => removeTempDir(tempDir));

  function newFleet(hosts: number) {
    fleets += 1;
    return generateFleet(join(tempDir, `fleet-${fleets}`), hosts);
  }

  async function worktrees(repoDir: string): Promise<number> {
    return (await git(runner, repoDir, ['worktree', 'list', '--porcelain']))
      .split('\n')
      .filter((line) => line.startsWith('worktree ')).length;
  }

  describe('changed-since', () => {
    it('a commit that changes one host’s module gives a matrix of exactly that host', async () => {
      const fleet = await newFleet(10);
      const before = await git(runner, fleet.flakeDir, ['rev-parse', 'HEAD']);
      await editHostModule(
        fleet.flakeDir,
        'srv-003',
        (text) => text.replace('fsType = "ext4";', 'fsType = "xfs";'),
        'srv-003: xfs',
      );
      const { result } = await runHosts(fleet.flakeDir, tempDir, { 'changed-since': before });
      expect(result.matrix.map((entry) => entry.host)).toEqual(['srv-003']);
      expect(result.hosts.find((host) => host.host === 'srv-003')?.reason).toBe(`changed since ${before}`);
      const unchanged = result.hosts.filter((host) => host.status === 'unchanged');
      expect(unchanged).toHaveLength(9);
      expect(unchanged[0]?.reason).toBe(`same derivation as ${before}`);
      expect(result.base).toEqual({ revision: before, commit: before, evaluated: true });
      expect(await worktrees(fleet.flakeDir)).toBe(1);
    });

    it('on the example fleet, a change to the pi module with kinds including checks lists only pi', async () => {
      const example = await materializeExampleFleet(join(tempDir, 'example'));
      const file = join(example.flakeDir, 'hosts', 'pi', 'default.nix');
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(
          'networking.hostName = "pi";',
          'networking.hostName = "pi";\n  time.timeZone = "Europe/Paris";',
        ),
      );
      await commitAll(runner, example.flakeDir, 'pi: set the time zone');
      const { result } = await runHosts(example.rootDir, tempDir, {
        path: 'homelab',
        kinds: 'nixos,darwin,home,checks',
        'changed-since': 'HEAD~1',
      });
      expect(result.matrix.map((entry) => [entry.host, entry.runner])).toEqual([['pi', 'ubuntu-24.04-arm']]);
      expect(result.count).toBe(1);
    });

    it('counts a new host as changed', async () => {
      const fleet = await newFleet(10);
      await addHost(fleet.flakeDir, 'srv-011');
      const { result } = await runHosts(fleet.flakeDir, tempDir, { 'changed-since': 'HEAD^' });
      expect(result.matrix.map((item) => item.host)).toEqual(['srv-011']);
      expect(result.hosts.find((host) => host.host === 'srv-011')?.reason).toBe('new since HEAD^');
    });

    it('refuses a revision the checkout does not have, naming the input', async () => {
      const fleet = await newFleet(2);
      await expect(runHosts(fleet.flakeDir, tempDir, { 'changed-since': 'origin/nowhere' })).rejects.toThrow(
        "Input 'changed-since' must name a commit of this checkout, got 'origin/nowhere' (fetch it first, e.g. actions/checkout with fetch-depth: 0)",
      );
    });
  });

  describe('skip-cached', () => {
    let fleetDir: string;
    let cacheDir: string;
    let cachedOutputs: string[];

    beforeAll(async () => {
      const fleet = await newFleet(10);
      fleetDir = fleet.flakeDir;
      cacheDir = join(tempDir, 'cache');
      const built = await nix.build([
        `${fleetDir}#nixosConfigurations.srv-001.config.system.build.toplevel`,
        `${fleetDir}#darwinConfigurations.mac-009.system`,
      ]);
      cachedOutputs = built.map((result) => result.outputs.out as string);
      const copied = await runner.run('nix', [
        'copy',
        '--extra-experimental-features',
        'nix-command',
        '--to',
        `file://${cacheDir}`,
        ...cachedOutputs,
      ]);
      expect(copied.stderr).not.toMatch(/error:/);
    });

    it('leaves out hosts whose output is in a file:// binary cache made with nix copy', async () => {
      const { result } = await runHosts(fleetDir, tempDir, {
        'skip-cached': `file://${join(tempDir, 'empty-cache')} file://${cacheDir}`,
      });
      const cached = result.hosts.filter((host) => host.status === 'cached');
      expect(cached.map((host) => [host.host, host.reason])).toEqual([
        ['srv-001', `already in file://${cacheDir}`],
        ['mac-009', `already in file://${cacheDir}`],
      ]);
      expect(cached.map((host) => host.outPath).sort()).toEqual([...cachedOutputs].sort());
      expect(result.matrix.map((entry) => entry.host)).not.toContain('srv-001');
      expect(result.count).toBe(8);
    });

    it('asks an HTTP binary cache for the narinfo', async () => {
      const requests: string[] = [];
      const server: Server = createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        readFile(join(cacheDir, (request.url ?? '/').slice(1)))
          .then((body) =>
            response
              .writeHead(200, { 'content-type': 'text/x-nix-narinfo' })
              .end(request.method === 'HEAD' ? undefined : body),
          )
          .catch(() => response.writeHead(404).end());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/?priority=30`;
        const { result } = await runHosts(
          fleetDir,
          tempDir,
          { 'skip-cached': url },
          { probe: fetchNarinfoProbe(5_000) },
        );
        expect(result.hosts.filter((host) => host.status === 'cached').map((host) => host.host)).toEqual([
          'srv-001',
          'mac-009',
        ]);
        expect(requests).toHaveLength(10);
        expect(requests.every((line) => /^HEAD \/[0-9a-z]{32}\.narinfo$/.test(line))).toBe(true);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('asks nix path-info --store for other store URLs', async () => {
      const store = join(tempDir, 'chroot-store');
      await runner.run('nix', [
        'copy',
        '--extra-experimental-features',
        'nix-command',
        '--no-check-sigs',
        '--to',
        store,
        ...cachedOutputs,
      ]);
      const logger = new RecordingLogger();
      const { result } = await runHosts(
        fleetDir,
        tempDir,
        { 'skip-cached': store },
        { runner: new SpawnProcessRunner(logger), logger },
      );
      expect(logger.text()).toContain(
        `path-info --extra-experimental-features nix-command flakes --json --store ${store}`,
      );
      expect(result.hosts.filter((host) => host.status === 'cached').map((host) => host.host)).toEqual([
        'srv-001',
        'mac-009',
      ]);
    });
  });

  describe('max-jobs', () => {
    it('packs a 300-host fleet into at most 256 balanced entries covering every host', async () => {
      const fleet = await newFleet(300);
      const { result } = await runHosts(fleet.flakeDir, tempDir);
      expect(result.count).toBe(300);
      expect(result.matrix.length).toBeLessThanOrEqual(256);
      const covered = result.matrix.flatMap((entry) => entry.hosts ?? [entry.host]);
      expect(covered.sort()).toEqual(fleet.hosts.map((host) => host.name).sort());
      for (const entry of result.matrix.filter((item) => item.hosts)) {
        const hosts = entry.hosts as string[];
        expect(entry.host).toBe(hosts.join(' '));
        expect(entry.drvPath.split(' ')).toHaveLength(hosts.length);
        expect(entry.attr.split(' ')).toHaveLength(hosts.length);
        const runners = new Set(
          hosts.map((name) => JSON.stringify(result.hosts.find((host) => host.host === name)?.runner)),
        );
        expect([...runners]).toEqual([JSON.stringify(entry.runner)]);
      }
      const sizes = result.matrix.map((entry) => entry.hosts?.length ?? 1);
      expect(Math.max(...sizes)).toBe(2);
    });
  });
});

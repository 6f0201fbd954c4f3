import { afterAll, expect, it } from 'vitest';
import type { LocalNodes } from '../../scripts/local-nodes.mjs';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { NixStore } from '../../src/nix/store.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { expectDeployedWhole, NODE_NAMES, separateFleets } from './separate-fleet.js';
import { switchCalls } from './switch-fleet.js';

const separateFleet = separateFleets('separate-nodes');

describeEachVersion(
  NIX_VERSIONS,
  'the switch engine on nodes with their own stores and a cache',
  (version) => {
    const stops: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const stop of stops) await stop();
    });

    it('leaves every node holding its whole system, each having fetched the shared base from its cache itself', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop));
      for (const name of NODE_NAMES) expect(await fleet.nodes.validPaths(name, [fleet.base])).toEqual([]);

      const outcome = await fleet.deploy();

      await expectDeployedWhole(fleet, outcome);
      for (const name of NODE_NAMES) {
        const running = await fleet.nodes.run(name, 'readlink -f /nix/var/nix/profiles/system');
        expect(running.stdout.trim()).toBe(fleet.toplevels[name]);
      }
      expect(await fleet.narFetchesOf(fleet.base)).toBe(NODE_NAMES.length);
      expect((await switchCalls(fleet.fleet)).map(([path]) => path).sort()).toEqual(
        Object.values(fleet.toplevels).sort(),
      );
    }, 180_000);

    // What docs/ARCHITECTURE.md says of the switch engine's store URL rests on this.
    it('lets the node substitute over ssh:// on every version, over ssh-ng:// only from Nix 2.26', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop));
      const runner = new SpawnProcessRunner(new RecordingLogger());
      const toplevel = (name: string) => fleet.toplevels[name] as string;
      const copyTo = async (scheme: string, name: string) => {
        const node = fleet.nodes.nodes.find((each) => each.name === name);
        const sshOptions = `-i ${fleet.nodes.sshd.userKey.privateKeyFile} ${fleet.nodes.sshOpts} -o UserKnownHostsFile=${fleet.nodes.knownHostsFile}`;
        const copied = await runner.run(
          'nix',
          // ssh-ng:// refuses the runner's unsigned paths unless told not to check.
          [
            'copy',
            '--no-check-sigs',
            '--substitute-on-destination',
            '--to',
            `${scheme}://root@${node?.address}`,
            toplevel(name),
          ],
          { env: { NIX_SSHOPTS: sshOptions } },
        );
        return copied;
      };

      for (const [scheme, name] of [
        ['ssh', 'web-1'],
        ['ssh-ng', 'web-2'],
      ] as const) {
        const before = await fleet.narFetchesOf(fleet.base);
        const copied = await copyTo(scheme, name);
        expect(copied.exitCode, copied.stderr).toBe(0);
        expect(await fleet.nodes.validPaths(name, [toplevel(name), fleet.base])).toHaveLength(2);
        const fetched = (await fleet.narFetchesOf(fleet.base)) - before;
        expect({ scheme, fetched }).toEqual({
          scheme,
          fetched: scheme === 'ssh' || version.label !== 'Nix 2.8' ? 1 : 0,
        });
      }
    }, 180_000);

    it("copies every node's system beside the canary's activation, not in the waves", async () => {
      // The canary's switch waits until both other nodes hold their systems: a copy in their wave never would.
      const copied = (nodesDir: string, name: string) =>
        `ls -d ${nodesDir}/${name}/nix/store/*-nixos-system-${name}-1-ok-*/bin/switch-to-configuration >/dev/null 2>&1`;
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        hosts: (nodesDir) => [
          { name: 'web-1' },
          { name: 'web-2' },
          { name: 'db', waitUntil: `${copied(nodesDir, 'web-1')} && ${copied(nodesDir, 'web-2')}` },
        ],
        nodeTags: { db: ['canary'] },
      });

      const outcome = await fleet.deploy({ strategy: 'canary', parallel: '2' });

      expect(
        outcome.results.map((result) => [result.node, result.wave, result.status]),
        JSON.stringify(outcome.results),
      ).toEqual([
        ['db', 1, 'deployed'],
        ['web-1', 2, 'deployed'],
        ['web-2', 2, 'deployed'],
      ]);
    }, 180_000);

    it('fails only the node whose store is full, saying so, and the others go on', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        storeLimitMiB: { 'web-2': 1 },
        base: { name: 'fleet-base-large', sizeKiB: 3072 },
      });

      const outcome = await fleet.deploy({ strategy: 'canary', 'on-failure': 'halt' });

      const byNode = Object.fromEntries(outcome.results.map((result) => [result.node, result]));
      expect(byNode['web-2']?.status, JSON.stringify(outcome.results)).toBe('failed');
      expect(byNode['web-2']?.message).toMatch(/^no space left on web-2: .*No space left on device/);
      expect([byNode['web-1']?.status, byNode.db?.status]).toEqual(['deployed', 'deployed']);
      const profile = await fleet.nodes.run('web-2', 'readlink /nix/var/nix/profiles/system || echo none');
      expect(profile.stdout.trim()).toBe('none');
    }, 180_000);

    it('sends the paths from the runner when a node cannot reach its cache, and says so in its row', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop));
      await fleet.nodes.cache?.stop();

      const outcome = await fleet.deploy();

      for (const result of outcome.results) {
        expect(result.status, JSON.stringify(result)).toBe('deployed');
        expect(result.message).toMatch(
          /its cache http:\/\/127\.0\.0\.1:\d+ was unreachable: the paths came from the runner/,
        );
      }
      for (const name of NODE_NAMES) {
        const whole = [fleet.toplevels[name] as string, fleet.base];
        expect(await fleet.nodes.validPaths(name, whole)).toEqual(whole);
      }
    }, 180_000);

    it("leaves a system the runner's caches hold whole to the node: the runner neither builds nor downloads it", async () => {
      const base = { name: 'fleet-base-cached', sizeKiB: 64 };
      const fleet = await separateFleet(version, (stop) => stops.push(stop), { base });
      const cache = fleet.nodes.cache as NonNullable<LocalNodes['cache']>;
      const toplevels = Object.values(fleet.toplevels);
      await cache.fill(toplevels);
      const runner = new SpawnProcessRunner(new RecordingLogger());
      const deleted = await runner.run('nix-store', ['--delete', ...toplevels, fleet.base]);
      expect(deleted.exitCode, deleted.stderr).toBe(0);
      const store = new NixStore(runner);
      expect(await store.validPaths([...toplevels, fleet.base])).toEqual([]);

      const outcome = await fleet.deploy(
        {},
        {
          NIX_CONFIG: `${process.env.NIX_CONFIG ?? ''}\nsubstituters = ${cache.url}\ntrusted-public-keys = ${cache.publicKey}`,
        },
      );

      expect(
        outcome.results.map((result) => [result.node, result.status]),
        JSON.stringify(outcome.results),
      ).toEqual(NODE_NAMES.map((name) => [name, 'deployed']));
      expect(await store.validPaths([...toplevels, fleet.base])).toEqual([]);
      for (const name of NODE_NAMES) {
        const whole = [fleet.toplevels[name] as string, fleet.base];
        expect(await fleet.nodes.validPaths(name, whole)).toEqual(whole);
        expect(await fleet.narFetchesOf(fleet.toplevels[name] as string)).toBe(1);
      }
    }, 180_000);

    it('pushes every path from the runner with substitute-on-nodes false', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop));

      const outcome = await fleet.deploy({ 'substitute-on-nodes': 'false' });

      await expectDeployedWhole(fleet, outcome);
      expect(await fleet.narFetchesOf(fleet.base)).toBe(0);
    }, 180_000);
  },
);

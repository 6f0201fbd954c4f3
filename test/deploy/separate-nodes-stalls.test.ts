import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it, vi } from 'vitest';
import type { LocalNodes } from '../../scripts/local-nodes.mjs';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { deployFailure } from '../../src/deploy/report.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  expectDeployedWhole,
  NODE_NAMES,
  type SeparateFleet,
  STALLED_BASE,
  separateFleets,
  stallCopiesTo,
} from './separate-fleet.js';

const separateFleet = separateFleets('separate-nodes-stalls');

/** Resolves once a copy to node `name` reached the `nix-store --serve` that `stallCopiesTo` stalls. */
async function copyStalled(fleet: SeparateFleet, name: string): Promise<void> {
  const node = fleet.nodes.nodes.find((each) => each.name === name) as LocalNodes['nodes'][number];
  await vi.waitFor(() => expect(existsSync(join(node.dir, 'stalled-copies'))).toBe(true), {
    timeout: 90_000,
    interval: 200,
  });
}

/** The runner's processes the deploy started and left: its ssh connections and copies. */
async function leftRunning(fleet: SeparateFleet): Promise<string[]> {
  const listed = await new SpawnProcessRunner(new RecordingLogger()).run('ps', ['-eo', 'pid=,args=']);
  const ours = [fleet.runnerTemp, ...Object.values(fleet.toplevels)];
  return listed.stdout
    .split('\n')
    .filter((line) => /^\s*\d+\s+\S*(ssh|nix)\b/.test(line) && ours.some((mark) => line.includes(mark)));
}

/** The deploy's outcome, or a failure naming the hang when it is still running after `ms`. */
async function endsWithin<T>(deploying: Promise<T>, ms: number, after: string): Promise<T> {
  const timer = new AbortController();
  const hung = sleep(ms, undefined, { signal: timer.signal }).then(
    () => {
      throw new Error(`the deploy still runs ${ms / 1000} s after ${after}`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([deploying, hung]);
  } finally {
    timer.abort();
  }
}

describeEachVersion(
  NIX_VERSIONS,
  "the switch engine's copies that stall or are stopped, on nodes with their own stores",
  (version) => {
    const stops: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const stop of stops) await stop();
    });

    it('kills a copy that stalls mid-way and tries it once more, which delivers', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        base: STALLED_BASE,
        copyStallMs: 3_000,
      });
      await stallCopiesTo(fleet, 'web-2', false);

      const outcome = await fleet.deploy({ 'substitute-on-nodes': 'false' });

      await expectDeployedWhole(fleet, outcome);
      expect(fleet.logged()).toMatch(
        /copying to web-2 broke off \(copy to web-2 stalled: no progress for 3 s, killed\); trying once more/,
      );
    }, 180_000);

    it('fails only the node whose copy stalls twice, untouched, saying so, and the others go on', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        base: STALLED_BASE,
        copyStallMs: 3_000,
      });
      await stallCopiesTo(fleet, 'web-2', true);

      const outcome = await fleet.deploy({
        'substitute-on-nodes': 'false',
        strategy: 'canary',
        'on-failure': 'halt',
      });

      const byNode = Object.fromEntries(outcome.results.map((result) => [result.node, result]));
      expect(byNode['web-2']?.status, JSON.stringify(outcome.results)).toBe('failed');
      expect(byNode['web-2']?.message).toMatch(
        /copy to web-2 stalled: no progress for 3 s, killed on the second attempt too; nothing was activated/,
      );
      expect([byNode['web-1']?.status, byNode.db?.status]).toEqual(['deployed', 'deployed']);
      const profile = await fleet.nodes.run('web-2', 'readlink /nix/var/nix/profiles/system || echo none');
      expect(profile.stdout.trim()).toBe('none');
      expect(await fleet.nodes.validPaths('web-2', [fleet.toplevels['web-2'] as string])).toEqual([]);
    }, 180_000);

    it('ends promptly when cancelled while a copy hangs: that node not deployed, no ssh or nix left running', async () => {
      const cancel = new AbortController();
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        base: STALLED_BASE,
        signal: cancel.signal,
      });
      await stallCopiesTo(fleet, 'web-2', true);

      const deploying = fleet.deploy({ 'substitute-on-nodes': 'false' });
      await copyStalled(fleet, 'web-2');
      for (const name of ['web-1', 'db']) {
        await vi.waitFor(
          async () =>
            expect((await fleet.nodes.run(name, 'readlink /nix/var/nix/profiles/system')).exitCode).toBe(0),
          { timeout: 90_000, interval: 500 },
        );
      }
      // What the deploy runs now is what must be gone once it ended.
      expect((await leftRunning(fleet)).join('\n')).toMatch(/nix copy .*--to ssh:\/\/root@/);
      cancel.abort(new Error('cancelled by SIGINT'));
      // GitHub sends SIGTERM 7.5 s after SIGINT; the stalled node holds its session for 60 s.
      const outcome = await endsWithin(deploying, 20_000, 'the cancel');

      const byNode = Object.fromEntries(outcome.results.map((result) => [result.node, result]));
      expect(outcome.cancelled).toBe(true);
      expect(byNode['web-2']?.status, JSON.stringify(outcome.results)).toBe('skipped');
      expect(byNode['web-2']?.message).toBe(
        'not deployed: its copy was stopped (cancelled by SIGINT); nothing was activated',
      );
      expect([byNode['web-1']?.status, byNode.db?.status]).toEqual(['deployed', 'deployed']);
      expect(deployFailure(outcome)).toBe('Deploy failed: 1 node(s) not deployed (the run was cancelled)');
      const profile = await fleet.nodes.run('web-2', 'readlink /nix/var/nix/profiles/system || echo none');
      expect(profile.stdout.trim()).toBe('none');
      await vi.waitFor(async () => expect(await leftRunning(fleet)).toEqual([]), { timeout: 5_000 });
    }, 180_000);

    it('ends promptly when the canary halts the rollout while another copy hangs, leaving no ssh or nix running', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        base: STALLED_BASE,
        hosts: (nodesDir) => [
          { name: 'web-1' },
          { name: 'web-2' },
          { name: 'db', mode: 'fail', waitUntil: `[ -e ${nodesDir}/web-2/stalled-copies ]` },
        ],
        nodeTags: { db: ['canary'] },
      });
      await stallCopiesTo(fleet, 'web-2', true);

      const deploying = fleet.deploy({
        'substitute-on-nodes': 'false',
        strategy: 'canary',
        'on-failure': 'halt',
      });
      await copyStalled(fleet, 'web-2');
      const outcome = await endsWithin(deploying, 30_000, "web-2's copy stalled");

      expect(
        outcome.results.map((result) => [result.node, result.status]),
        JSON.stringify(outcome.results),
      ).toEqual([
        ['db', 'failed'],
        ['web-1', 'skipped'],
        ['web-2', 'skipped'],
      ]);
      expect(outcome.stoppedBecause).toBe('halted after db failed');
      expect(deployFailure(outcome)).toBe(
        'Deploy failed: db failed; 2 node(s) not deployed (halted after db failed)',
      );
      const profile = await fleet.nodes.run('web-2', 'readlink /nix/var/nix/profiles/system || echo none');
      expect(profile.stdout.trim()).toBe('none');
      await vi.waitFor(async () => expect(await leftRunning(fleet)).toEqual([]), { timeout: 5_000 });
    }, 180_000);

    it('stops the copy a node of the failing wave still waits for, reporting it not deployed, and ends promptly', async () => {
      const fleet = await separateFleet(version, (stop) => stops.push(stop), {
        base: STALLED_BASE,
        // web-1 fails once db switched and web-2's copy hangs: all three run in the one wave.
        hosts: (nodesDir) => [
          {
            name: 'web-1',
            mode: 'fail',
            waitUntil: `[ -L ${nodesDir}/db/nix/var/nix/profiles/system ] && [ -e ${nodesDir}/web-2/stalled-copies ]`,
          },
          { name: 'web-2' },
          { name: 'db' },
        ],
      });
      await stallCopiesTo(fleet, 'web-2', true);

      const deploying = fleet.deploy({ 'substitute-on-nodes': 'false', 'on-failure': 'halt' });
      await copyStalled(fleet, 'web-2');
      const outcome = await endsWithin(deploying, 30_000, "web-2's copy stalled");

      const byNode = Object.fromEntries(outcome.results.map((result) => [result.node, result]));
      expect(
        NODE_NAMES.map((name) => [name, byNode[name]?.status]),
        JSON.stringify(outcome.results),
      ).toEqual([
        ['web-1', 'failed'],
        ['web-2', 'skipped'],
        ['db', 'deployed'],
      ]);
      expect(byNode['web-2']?.message).toBe(
        'not deployed: its copy was stopped (halted after web-1 failed); nothing was activated',
      );
      expect(deployFailure(outcome)).toBe(
        'Deploy failed: web-1 failed; 1 node(s) not deployed (halted after web-1 failed)',
      );
      const profile = await fleet.nodes.run('web-2', 'readlink /nix/var/nix/profiles/system || echo none');
      expect(profile.stdout.trim()).toBe('none');
      await vi.waitFor(async () => expect(await leftRunning(fleet)).toEqual([]), { timeout: 5_000 });
    }, 180_000);
  },
);

import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type LocalNodes, startNodes } from '../../scripts/local-nodes.mjs';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { deployFleet } from '../../src/deploy/deploy-fleet.js';
import { deployFailure } from '../../src/deploy/report.js';
import { NixStore } from '../../src/nix/store.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS, type ToolVersion } from '../support/versions.js';
import { deploySettings, inProcessEnvironment } from './support.js';
import {
  buildAttribute,
  type SharedBase,
  type SwitchFleet,
  type SwitchHost,
  switchCalls,
  writeSwitchFleet,
} from './switch-fleet.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('separate-nodes');
});

afterAll(() => removeTempDir(root));

const BASE: SharedBase = { name: 'fleet-base', sizeKiB: 64 };
const NODE_NAMES = ['web-1', 'web-2', 'db'];
/** Larger than what ssh's window and the sockets hold, so a node that stops reading stalls the copy. */
const STALLED_BASE: SharedBase = { name: 'fleet-base-stalled', sizeKiB: 8192 };

interface SeparateFleet {
  nodes: LocalNodes;
  /** The deploy's RUNNER_TEMP, which holds its ssh control sockets. */
  runnerTemp: string;
  base: string;
  fleet: SwitchFleet;
  toplevels: Record<string, string>;
  deploy(inputs?: Record<string, string>, runnerEnv?: Record<string, string>): ReturnType<typeof deployFleet>;
  /** What the last deploy logged. */
  logged(): string;
  /** The NAR fetches of `path` the cache served. */
  narFetchesOf(path: string): Promise<number>;
}

interface FleetOptions {
  /** The hosts, by default web-1, web-2 and db as they are. */
  hosts?: (nodesDir: string) => SwitchHost[];
  storeLimitMiB?: Record<string, number>;
  base?: SharedBase;
  nodeTags?: Record<string, string[]>;
  /** How long a copy may make no progress before it is killed. */
  copyStallMs?: number;
  /** Aborted as the runner's cancellation would be. */
  signal?: AbortSignal;
}

/** Three nodes with their own stores, a cache beside them holding the systems' shared base. */
async function separateFleet(
  version: ToolVersion,
  after: (stop: () => Promise<void>) => void,
  options: FleetOptions = {},
): Promise<SeparateFleet> {
  const dir = join(root, `case-${++counter}`);
  const nodes = await startNodes(join(dir, 'nodes'), NODE_NAMES, {
    ...(version.binDir === undefined ? {} : { nixBinDir: version.binDir }),
    ...(options.storeLimitMiB ? { storeLimitMiB: options.storeLimitMiB } : {}),
  });
  after(nodes.stop);
  const nodesDir = join(dir, 'nodes', 'nodes');
  const fleet = await writeSwitchFleet(
    join(dir, 'fleet'),
    options.hosts?.(nodesDir) ?? NODE_NAMES.map((name) => ({ name })),
    { authorizedKeys: join(dir, 'unused-authorized-keys'), base: options.base ?? BASE },
  );
  const base = await buildAttribute(fleet.dir, 'base');
  await nodes.cache?.fill([base]);
  const toplevels: Record<string, string> = {};
  for (const name of NODE_NAMES) {
    toplevels[name] = await buildAttribute(
      fleet.dir,
      `nixosConfigurations.${name}.config.system.build.toplevel`,
    );
  }
  const runnerTemp = join(dir, 'temp');
  await mkdir(runnerTemp, { recursive: true });
  const nodesInput = Object.fromEntries(
    nodes.nodes.map((node) => [
      node.name,
      { address: node.address, 'ssh-user': 'root', tags: options.nodeTags?.[node.name] ?? [] },
    ]),
  );
  let logger: RecordingLogger | undefined;
  return {
    nodes,
    runnerTemp,
    base,
    toplevels,
    fleet,
    deploy: (inputs: Record<string, string> = {}, runnerEnv: Record<string, string> = {}) => {
      const run = inProcessEnvironment(dir, runnerTemp, runnerEnv, {
        activationMarginMs: 15_000,
        ...(options.copyStallMs === undefined ? {} : { copyStallMs: options.copyStallMs }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const settings = deploySettings({
        path: 'fleet',
        engine: 'switch',
        nodes: JSON.stringify(nodesInput),
        'known-hosts': nodes.sshd.knownHosts,
        'ssh-private-key': nodes.sshd.userKey.privateKey,
        'ssh-opts': nodes.sshOpts,
        'confirm-timeout': '5',
        'activation-timeout': '20',
        strategy: 'all-at-once',
        ...inputs,
      });
      logger = run.logger;
      return deployFleet(settings, run.environment);
    },
    logged: () => (logger?.lines ?? []).map((line) => line.message).join('\n'),
    async narFetchesOf(path: string) {
      // The cache names a NAR by its file hash: its narinfo says which one holds `path`.
      const hash = path.slice('/nix/store/'.length, '/nix/store/'.length + 32);
      const info = await readFile(join(nodes.cache?.dir ?? '', `${hash}.narinfo`), 'utf8');
      const url = /^URL: (\S+)$/m.exec(info)?.[1];
      if (url === undefined) throw new Error(`the cache holds no narinfo for ${path}`);
      return (nodes.cache?.requests() ?? []).filter(
        (request) => request.method === 'GET' && request.path === `/${url}` && request.status === 200,
      ).length;
    },
  };
}

/**
 * Makes the node's `nix-store --serve` (the far end of a copy over ssh://) pass on the first 64 KiB,
 * then stop reading: a copy to it stalls mid-way. `always`, every copy; otherwise only the first. A
 * session after a stalled one first kills what the stalled one left, as a node whose session died would.
 */
async function stallCopiesTo(fleet: SeparateFleet, name: string, always: boolean): Promise<void> {
  const node = fleet.nodes.nodes.find((each) => each.name === name) as LocalNodes['nodes'][number];
  const real = (await fleet.nodes.run(name, 'command -v nix-store')).stdout.trim();
  expect(real).toMatch(/\/nix-store$/);
  const bin = join(node.dir, 'stalling-bin');
  const stalled = join(node.dir, 'stalled-copies');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'nix-store'),
    [
      '#!/bin/sh',
      'if [ "$1" = --serve ]; then',
      `  [ -e ${stalled} ] && kill -9 $(cat ${stalled}) 2>/dev/null`,
      `  if ${always ? 'true' : `[ ! -e ${stalled} ]`}; then`,
      `    { head -c 65536; sleep 60 & echo $! >>${stalled}; wait; } | ${real} "$@" &`,
      `    echo $! >>${stalled}`,
      '    wait $!',
      '    exit $?',
      '  fi',
      'fi',
      `exec ${real} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  await appendFile(join(node.dir, 'session.env'), `export PATH=${bin}:$PATH\n`);
}

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

/** Every node deployed, and its own store holds its whole system: its toplevel and the shared base. */
async function expectDeployedWhole(fleet: SeparateFleet, outcome: Awaited<ReturnType<typeof deployFleet>>) {
  expect(
    outcome.results.map((result) => [result.node, result.status]),
    JSON.stringify(outcome.results),
  ).toEqual(NODE_NAMES.map((name) => [name, 'deployed']));
  for (const name of NODE_NAMES) {
    const whole = [fleet.toplevels[name] as string, fleet.base];
    expect(await fleet.nodes.validPaths(name, whole)).toEqual(whole);
  }
}

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

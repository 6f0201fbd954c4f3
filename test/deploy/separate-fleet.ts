import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { type LocalNodes, startNodes } from '../../scripts/local-nodes.mjs';
import type { RecordingLogger } from '../../src/core/logger.js';
import { deployFleet } from '../../src/deploy/deploy-fleet.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import type { ToolVersion } from '../support/versions.js';
import { deploySettings, inProcessEnvironment } from './support.js';
import {
  buildAttribute,
  type SharedBase,
  type SwitchFleet,
  type SwitchHost,
  writeSwitchFleet,
} from './switch-fleet.js';

export const BASE: SharedBase = { name: 'fleet-base', sizeKiB: 64 };
export const NODE_NAMES = ['web-1', 'web-2', 'db'];
/** Larger than what ssh's window and the sockets hold, so a node that stops reading stalls the copy. */
export const STALLED_BASE: SharedBase = { name: 'fleet-base-stalled', sizeKiB: 8192 };

export interface SeparateFleet {
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

export interface FleetOptions {
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

/**
 * How a test file starts its fleets: each in a new directory under one temporary root (`name`), which
 * is removed when the file ends.
 */
export function separateFleets(name: string) {
  let root: string;
  let counter = 0;
  beforeAll(async () => {
    await requireNix();
    root = await makeTempDir(name);
  });
  afterAll(() => removeTempDir(root));
  return (version: ToolVersion, after: (stop: () => Promise<void>) => void, options?: FleetOptions) =>
    startSeparateFleet(join(root, `case-${++counter}`), version, after, options);
}

/**
 * Three nodes with their own stores under `dir` (a new directory), a cache beside them holding the
 * systems' shared base; `after` receives what stops them.
 */
async function startSeparateFleet(
  dir: string,
  version: ToolVersion,
  after: (stop: () => Promise<void>) => void,
  options: FleetOptions = {},
): Promise<SeparateFleet> {
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
export async function stallCopiesTo(fleet: SeparateFleet, name: string, always: boolean): Promise<void> {
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

/** Every node deployed, and its own store holds its whole system: its toplevel and the shared base. */
export async function expectDeployedWhole(
  fleet: SeparateFleet,
  outcome: Awaited<ReturnType<typeof deployFleet>>,
) {
  expect(
    outcome.results.map((result) => [result.node, result.status]),
    JSON.stringify(outcome.results),
  ).toEqual(NODE_NAMES.map((name) => [name, 'deployed']));
  for (const name of NODE_NAMES) {
    const whole = [fleet.toplevels[name] as string, fleet.base];
    expect(await fleet.nodes.validPaths(name, whole)).toEqual(whole);
  }
}

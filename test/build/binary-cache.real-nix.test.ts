import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BinaryCacheServer, startBinaryCache } from '../../scripts/binary-cache-server.mjs';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { type CliRun, jsonOutputs, runCli } from '../cli/support.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

const LOGIN = 'fleet-ci';
const PASSWORD = 'pw-7Hq2vN9xR4kM1sT8';

// The real CLI, real Nix and a real HTTP cache on loopback that takes uploads only with the login:
// the check of issue 23, `build --push-to http://… --netrc "machine … login … password …"`.
describeEachVersion(NIX_VERSIONS, 'a binary cache that needs a login', () => {
  let tempDir: string;
  let fleet: ExampleFleet;
  let cache: BinaryCacheServer;
  let privateCache: BinaryCacheServer;
  const netrc = () => `machine 127.0.0.1 login ${LOGIN} password ${PASSWORD}`;
  const inFleet = (args: string[]): Promise<CliRun> =>
    runCli(args, { cwd: fleet.flakeDir, timeoutMs: 240_000 });
  const everything = (run: CliRun, summary: string) => `${run.stdout}\n${run.stderr}\n${summary}`;
  const buildPushingTo = (url: string, ...more: string[]) =>
    inFleet(['build', '--host', 'gateway', '--push-to', url, ...more]);

  beforeAll(async () => {
    const { runner, nix } = await requireNix();
    tempDir = await makeTempDir('binary-cache');
    fleet = await materializeExampleFleet(join(tempDir, 'fleet'), { runner, nix });
    const dir = join(tempDir, 'cache');
    cache = await startBinaryCache({ dir, uploads: true, login: { user: LOGIN, password: PASSWORD } });
    // The same files behind a server that also refuses reads without the login, as a private cache does.
    privateCache = await startBinaryCache({
      dir,
      uploads: true,
      login: { user: LOGIN, password: PASSWORD },
      privateReads: true,
    });
  });
  afterAll(async () => {
    await cache?.close();
    await privateCache?.close();
    await removeTempDir(tempDir);
  });

  it('refuses the push without the netrc: the host built, the push failed', async () => {
    const summaryFile = join(tempDir, 'refused.md');
    const run = await buildPushingTo(cache.url, '--summary', summaryFile);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/pushing to http:\/\/127\.0\.0\.1:\d+\/\w+ failed: .*401/);
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toMatch(/gateway.*built/);
    expect(cache.requests.some((request) => request.method === 'PUT' && request.status === 401)).toBe(true);
    expect(await cache.narinfoNames()).toEqual([]);
  });

  it('pushes the system with the netrc, sending the login and never printing the password', async () => {
    const summaryFile = join(tempDir, 'pushed.md');
    const run = await buildPushingTo(cache.url, '--netrc', netrc(), '--json', '--summary', summaryFile);
    expect(run.exitCode, run.stderr).toBe(0);
    const outPath = jsonOutputs(run)['out-path'] as string;
    expect(outPath).toMatch(/^\/nix\/store\/([0-9a-z]{32})-nixos-system-gateway-24\.11$/);
    const hash = outPath.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    expect(await cache.narinfoNames()).toContain(`${hash}.narinfo`);
    const uploads = cache.requests.filter((request) => request.method === 'PUT' && request.status === 201);
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.every((request) => request.authorized)).toBe(true);
    const summary = await readFile(summaryFile, 'utf8');
    expect(summary).toContain(`Pushed to \`${cache.url}\``);
    expect(everything(run, summary)).not.toContain(PASSWORD);
  });

  it('skip-cached finds the host in a cache that refuses reads without the login', async () => {
    const without = await inFleet(['hosts', '--skip-cached', privateCache.url, '--json']);
    expect(without.exitCode, without.stderr).toBe(0);
    const gatewayWithout = (jsonOutputs(without).hosts as { host: string; status: string }[]).find(
      (host) => host.host === 'gateway',
    );
    expect(gatewayWithout?.status).not.toBe('cached');

    const run = await inFleet(['hosts', '--skip-cached', privateCache.url, '--netrc', netrc(), '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const hosts = jsonOutputs(run).hosts as { host: string; status: string; reason?: string }[];
    expect(hosts.find((host) => host.host === 'gateway')).toMatchObject({
      status: 'cached',
      reason: `already in ${privateCache.url}`,
    });
    expect(hosts.find((host) => host.host === 'pi')?.status).not.toBe('cached');
    expect(privateCache.requests.some((request) => request.authorized && request.status === 200)).toBe(true);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain(PASSWORD);
  });

  it('turns cache-token into a netrc password for the push-to host, as a token cache takes it', async () => {
    const tokenCache = await startBinaryCache({
      dir: join(tempDir, 'token-cache'),
      uploads: true,
      login: { user: '', password: PASSWORD },
    });
    try {
      const run = await buildPushingTo(tokenCache.url, '--cache-token', PASSWORD);
      expect(run.exitCode, run.stderr).toBe(0);
      const uploads = tokenCache.requests.filter((request) => request.method === 'PUT');
      expect(uploads.length).toBeGreaterThan(0);
      expect(uploads.every((request) => request.status === 201)).toBe(true);
      expect(await tokenCache.narinfoNames()).not.toEqual([]);
      expect(`${run.stdout}\n${run.stderr}`).not.toContain(PASSWORD);
    } finally {
      await tokenCache.close();
    }
  });
});

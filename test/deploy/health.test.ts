import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DRY_RUN_PROVES } from '../../src/deploy/deploy-rs-log.js';
import { healthCheckFor } from '../../src/deploy/health-checks.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { startSshd, type TestSshd } from './sshd.js';
import {
  deploySettings,
  type FleetNode,
  fakeDeploy,
  inProcessEnvironment,
  runDeploy,
  writeFleet,
} from './support.js';

let root: string;
let sshd: TestSshd;
let http: Server;
let httpBase: string;
const httpHits: string[] = [];
let counter = 0;

beforeAll(async () => {
  await requireNix();
  root = await makeTempDir('deploy-health');
  sshd = await startSshd(join(root, 'sshd'));
  http = createServer((request, response) => {
    httpHits.push(request.url ?? '');
    const status = request.url === '/healthy' ? 200 : request.url === '/moved' ? 302 : 503;
    response.writeHead(status, status === 302 ? { location: '/healthy' } : {});
    response.end(status === 503 ? 'immich-server is not running' : 'ok');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sshd?.stop();
  await new Promise((resolve) => http?.close(resolve));
  await removeTempDir(root);
});

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function setup(nodes: FleetNode[]) {
  const dir = join(root, `case-${++counter}`);
  const workspace = await writeFleet(join(dir, 'fleet'), nodes);
  const runnerTemp = join(dir, 'temp');
  await mkdir(runnerTemp, { recursive: true });
  const fake = await fakeDeploy(join(dir, 'fake'), { latencyMs: 40 });
  return { dir, fake, run: inProcessEnvironment(workspace, runnerTemp, fake.env) };
}

/** A node whose health is checked over SSH on the test sshd, reached through the flake's own sshOpts. */
function sshNode(name: string, wave: number): FleetNode {
  return { name, wave, hostname: '127.0.0.1', sshUser: sshd.user, sshOpts: ['-p', String(sshd.port)] };
}

describeEachVersion(NIX_VERSIONS, 'health checks after activation', () => {
  it('runs the ssh command on the node with the pinned host key and the deploy key', async () => {
    const { dir, run } = await setup([sshNode('media', 1)]);
    const marker = join(dir, 'system-running');
    await writeFile(marker, 'running\n');
    const outcome = await runDeploy(
      {
        'ssh-private-key': sshd.userKey.privateKey,
        'known-hosts': sshd.knownHosts,
        'health-checks': JSON.stringify({ defaults: { ssh: `cat ${marker}`, timeout: '10s' } }),
      },
      run,
    );
    expect(outcome.results[0]).toMatchObject({
      status: 'deployed',
      message: 'activated and confirmed; healthy (ssh)',
    });
    const log = run.logger.text();
    expect(log).toContain('  running');
    expect(log).toContain(`  ✓ ssh ${sshd.user}@127.0.0.1: \`cat ${marker}\` exited 0`);
  });

  it('marks a node unhealthy when the command fails on every attempt, and halts', async () => {
    const { run } = await setup([sshNode('media', 1), sshNode('homeserver', 2)]);
    const outcome = await runDeploy(
      {
        strategy: 'waves',
        'ssh-private-key': sshd.userKey.privateKey,
        'known-hosts': sshd.knownHosts,
        'health-checks': JSON.stringify({
          defaults: { ssh: 'echo degraded; exit 1', timeout: '10s', retries: 1 },
        }),
      },
      run,
    );
    expect(outcome.results.map((result) => [result.node, result.status])).toEqual([
      ['media', 'unhealthy'],
      ['homeserver', 'skipped'],
    ]);
    expect(outcome.results[0]?.message).toBe(
      'health check failed 2 times: `echo degraded; exit 1` on 127.0.0.1 exited with code 1: degraded',
    );
    expect(run.logger.text()).toContain('health check, attempt 2 of 2:');
    expect(outcome.stoppedBecause).toBe('halted after media was unhealthy');
  });

  it('refuses a host whose key does not match known-hosts', async () => {
    const { run } = await setup([sshNode('media', 1)]);
    const outcome = await runDeploy(
      {
        'ssh-private-key': sshd.userKey.privateKey,
        'known-hosts': sshd.wrongKnownHosts,
        'health-checks': JSON.stringify({ defaults: { ssh: 'true', timeout: '10s' } }),
      },
      run,
    );
    expect(outcome.results[0]?.status).toBe('unhealthy');
    expect(outcome.results[0]?.message).toMatch(
      /^health check failed: `true` on 127.0.0.1 exited with code 255: .*Host key verification failed\.$/,
    );
  });

  it('an http check that answers 503 makes the node unhealthy, which halts the rollout', async () => {
    const nodes = ['media', 'homeserver', 'gateway'].map((name, index) => ({ name, wave: index + 1 }));
    const { run } = await setup(nodes);
    const earlierHits = httpHits.length;
    const outcome = await runDeploy(
      {
        strategy: 'waves',
        'health-checks': JSON.stringify({
          defaults: { http: `${httpBase}/moved`, timeout: '2s' },
          nodes: { homeserver: { http: [`${httpBase}/healthy`, `${httpBase}/immich`], retries: 2 } },
        }),
      },
      run,
    );
    expect(outcome.results.map((result) => [result.node, result.status])).toEqual([
      ['media', 'deployed'],
      ['homeserver', 'unhealthy'],
      ['gateway', 'skipped'],
    ]);
    expect(outcome.results[0]?.message).toBe('activated and confirmed; healthy (1 URL(s))');
    expect(outcome.results[1]?.message).toBe(
      `health check failed 3 times: GET ${httpBase}/immich answered 503`,
    );
    expect(httpHits.slice(earlierHits).filter((url) => url === '/immich')).toHaveLength(3);
  });

  it('reports an unreachable URL and skips checks for dry activations', async () => {
    const { run } = await setup([{ name: 'media', wave: 1 }]);
    const closed = `http://127.0.0.1:${await closedPort()}/health`;
    const failed = await runDeploy(
      { 'health-checks': JSON.stringify({ defaults: { http: closed, timeout: '1s' } }) },
      run,
    );
    expect(failed.results[0]?.message).toMatch(
      new RegExp(`^health check failed: GET ${closed}: fetch failed \\(.*ECONNREFUSED`),
    );

    const dry = await runDeploy(
      { 'dry-activate': 'true', 'health-checks': JSON.stringify({ defaults: { http: closed } }) },
      run,
    );
    expect(dry.results[0]).toMatchObject({
      status: 'dry-activated',
      message: DRY_RUN_PROVES,
    });
  });

  it('merges the defaults with per-node overrides, and refuses checks for unknown nodes', async () => {
    const settings = deploySettings({
      'health-checks':
        '{defaults: {ssh: "systemctl is-system-running --wait", retries: 2}, nodes: {pi: {timeout: 5m}}}',
    });
    expect(healthCheckFor(settings['health-checks'], 'pi')).toEqual({
      ssh: 'systemctl is-system-running --wait',
      http: [],
      timeoutMs: 300_000,
      retries: 2,
    });
    expect(healthCheckFor(settings['health-checks'], 'media')?.timeoutMs).toBe(120_000);
    expect(healthCheckFor(undefined, 'media')).toBeUndefined();

    const { run } = await setup([{ name: 'media', wave: 1 }]);
    await expect(runDeploy({ 'health-checks': '{nodes: {mediaa: {ssh: "true"}}}' }, run)).rejects.toThrow(
      "Input 'health-checks' configures unknown node 'mediaa'; known nodes: media",
    );
  });
});

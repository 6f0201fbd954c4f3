import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type CacheRequest, startBinaryCache } from '../../scripts/binary-cache-server.mjs';
import { makeTempDir, removeTempDir } from '../support/nix.js';

const LOGIN = 'fleet-ci';
const PASSWORD = 'pw-7Hq2vN9xR4kM1sT8';
const SERVER = fileURLToPath(new URL('../../scripts/binary-cache-server.mjs', import.meta.url));
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the binary cache server of the tests and benchmarks', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tempDir = async () => {
    const dir = await makeTempDir('cache-server');
    cleanups.push(() => removeTempDir(dir));
    return dir;
  };

  it('answers 401 to an upload without Basic auth and takes it with the login', async () => {
    const dir = await tempDir();
    const server = await startBinaryCache({ dir, uploads: true, login: { user: LOGIN, password: PASSWORD } });
    cleanups.push(server.close);
    const refused = await fetch(`${server.url}/x.narinfo`, { method: 'PUT', body: 'StorePath: x\n' });
    expect(refused.status).toBe(401);
    const taken = await fetch(`${server.url}/x.narinfo`, {
      method: 'PUT',
      body: 'StorePath: x\n',
      headers: { Authorization: basic(LOGIN, PASSWORD) },
    });
    expect(taken.status).toBe(201);
    expect(await (await fetch(`${server.url}/x.narinfo`)).text()).toBe('StorePath: x\n');
    expect(await server.narinfoNames()).toEqual(['x.narinfo']);
  });

  it('serves only under its random path, logging paths below it, and refuses uploads unless told', async () => {
    const dir = await tempDir();
    const first = await startBinaryCache({ dir });
    cleanups.push(first.close);
    const second = await startBinaryCache({ dir });
    cleanups.push(second.close);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{12}$/);
    expect(new URL(first.url).pathname).not.toBe(new URL(second.url).pathname);

    expect(await (await fetch(`${first.url}/nix-cache-info`)).text()).toContain('StoreDir: /nix/store');
    expect((await fetch(`http://127.0.0.1:${first.port}/nix-cache-info`)).status).toBe(404);
    expect((await fetch(`${first.url}/x.narinfo`, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect((await fetch(`${first.url}/missing.narinfo`, { method: 'HEAD' })).status).toBe(404);
    expect(first.requests.map(({ method, path, status }) => [method, path, status])).toEqual([
      ['GET', '/nix-cache-info', 200],
      ['GET', '/nix-cache-info', 404],
      ['PUT', '/x.narinfo', 405],
      ['HEAD', '/missing.narinfo', 404],
    ]);
  });

  it('keeps the nix-cache-info a filled cache has, and refuses reads without the login when private', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'nix-cache-info'), 'StoreDir: /nix/store\n');
    const server = await startBinaryCache({
      dir,
      login: { user: LOGIN, password: PASSWORD },
      privateReads: true,
    });
    cleanups.push(server.close);
    expect(await readFile(join(dir, 'nix-cache-info'), 'utf8')).toBe('StoreDir: /nix/store\n');
    const refused = await fetch(`${server.url}/nix-cache-info`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="cache"');
    const read = await fetch(`${server.url}/nix-cache-info`, {
      headers: { Authorization: basic(LOGIN, PASSWORD) },
    });
    expect(await read.text()).toBe('StoreDir: /nix/store\n');
    expect(server.requests.map((request) => [request.status, request.authorized])).toEqual([
      [401, false],
      [200, true],
    ]);
  });

  it('runs as its own process, printing its URL and then each request with the bytes it sent', async () => {
    const dir = await tempDir();
    const nar = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await mkdir(join(dir, 'nar'));
    await writeFile(join(dir, 'nar', 'a.nar'), nar);
    const child = spawn(process.execPath, [SERVER, dir, '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const listening = (await lines.next()).value as string;
    expect(listening).toMatch(/^listening http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{12}$/);
    const url = listening.slice('listening '.length);

    const body = Buffer.from(await (await fetch(`${url}/nar/a.nar`)).arrayBuffer());
    expect(body.equals(nar)).toBe(true);
    const logged = JSON.parse((await lines.next()).value as string) as CacheRequest;
    expect(logged).toEqual({
      method: 'GET',
      path: '/nar/a.nar',
      status: 200,
      bytes: nar.length,
      authorized: false,
    });
  });
});

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';

/** One request the cache answered: what Nix asked and whether it sent the login. */
export interface CacheRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
  /** The Authorization header as sent, to prove the password went over the wire and nowhere else. */
  authorization?: string;
}

export interface BinaryCacheServer {
  /**
   * `http://127.0.0.1:PORT/<random>`: the store URL for nix copy and substituters. The random path keeps
   * each cache apart in Nix's narinfo disk cache, which is keyed by URL: a later cache on a port an
   * earlier one had would otherwise be believed to hold its paths already.
   */
  url: string;
  requests: CacheRequest[];
  /** The narinfo files the cache holds, by name (`<hash>.narinfo`). */
  narinfoNames(): Promise<string[]>;
  close(): Promise<void>;
}

export interface BinaryCacheOptions {
  /** Where the cache keeps its files. */
  dir: string;
  login: string;
  password: string;
  /** Also refuse reads (GET, HEAD) without the login, as a private cache does. */
  privateReads?: boolean;
}

/**
 * An HTTP binary cache on loopback, as Nix's HTTP store expects one (nix-cache-info at its root,
 * `<hash>.narinfo`, `nar/…`): it serves files from `dir` and accepts uploads (PUT) only with Basic
 * auth for `login`:`password`, answering 401 otherwise as nginx or Attic would.
 */
export async function startBinaryCache(options: BinaryCacheOptions): Promise<BinaryCacheServer> {
  await mkdir(options.dir, { recursive: true });
  await writeFile(
    join(options.dir, 'nix-cache-info'),
    'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n',
  );
  const expected = `Basic ${Buffer.from(`${options.login}:${options.password}`).toString('base64')}`;
  const requests: CacheRequest[] = [];
  const prefix = `/${randomBytes(6).toString('hex')}`;

  const server: Server = createServer((request, response) => {
    void answer(request).then(
      ({ status, body }) => {
        response.writeHead(status, status === 401 ? { 'WWW-Authenticate': 'Basic realm="cache"' } : {});
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
  });

  async function answer(request: IncomingMessage): Promise<{ status: number; body?: Buffer | string }> {
    const full = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://cache').pathname));
    const path = full.startsWith(`${prefix}/`) ? full.slice(prefix.length) : full;
    const authorization = request.headers.authorization;
    const authorized = authorization === expected;
    const record = (status: number) => {
      requests.push({
        method: request.method ?? '',
        path,
        status,
        authorized,
        ...(authorization ? { authorization } : {}),
      });
      return status;
    };
    const body = await readBody(request);
    if (path.includes('..')) return { status: record(400) };
    if (path === full) return { status: record(404), body: 'Not found\n' };
    const file = join(options.dir, path);
    if (request.method === 'PUT') {
      if (!authorized) return { status: record(401), body: 'Unauthorized\n' };
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
      return { status: record(201) };
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return { status: record(405) };
    if (options.privateReads && !authorized) return { status: record(401), body: 'Unauthorized\n' };
    try {
      const content = await readFile(file);
      return { status: record(200), body: content };
    } catch {
      return { status: record(404), body: 'Not found\n' };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    async narinfoNames() {
      return (await readdir(options.dir)).filter((name) => name.endsWith('.narinfo'));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

// The binary cache the tests and benchmarks serve over HTTP, as Nix's HTTP store expects one
// (nix-cache-info at its root, `<hash>.narinfo`, `nar/…`), over a directory such as `nix copy --to
// file://DIR` fills. Optionally it takes uploads (PUT, as `nix copy --to http://…` sends them) and
// wants a Basic-auth login for them, and for reads too as a private cache does, answering 401 as nginx
// or Attic would. Its URL carries a random path (`http://HOST:PORT/<random>`): Nix's narinfo disk cache
// is keyed by URL, and a later cache on a port an earlier one had would otherwise be believed to hold
// its paths already.
//
// In process: `startBinaryCache(options)`. As its own process (scripts/local-nodes.mjs runs it inside
// the nodes' network namespace): `node binary-cache-server.mjs [--uploads] [--login USER] [--private-reads]
// [--path-prefix /P] DIR HOST [PORT]`, the login's password from BINARY_CACHE_PASSWORD. It prints
// `listening URL`, then one JSON line per request ({"method","path","status","bytes","authorized"}).
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const CACHE_INFO = 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n';
// Large reads: the nodes fetch GiBs, and 64 KiB chunks cost the server's process a core.
const READ_CHUNK = 1024 * 1024;

/** Serves `dir` over HTTP on `host` (loopback unless told); see binary-cache-server.d.mts. */
export async function startBinaryCache(options) {
  const {
    dir,
    host = '127.0.0.1',
    port = 0,
    pathPrefix = `/${randomBytes(6).toString('hex')}`,
    uploads = false,
    login,
    privateReads = false,
    onRequest,
  } = options;
  await mkdir(dir, { recursive: true });
  // Written only where missing: a cache `nix copy --to file://` filled keeps its own.
  await writeFile(join(dir, 'nix-cache-info'), CACHE_INFO, { flag: 'wx' }).catch((error) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const expected = login && `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
  const requests = [];

  const server = createServer((request, response) => {
    const full = normalize(safeDecode(new URL(request.url ?? '/', 'http://cache').pathname));
    const path = pathPrefix && full.startsWith(`${pathPrefix}/`) ? full.slice(pathPrefix.length) : full;
    const authorization = request.headers.authorization;
    const authorized = expected !== undefined && authorization === expected;
    const method = request.method ?? '';
    const record = (status, bytes) => {
      const entry = { method, path, status, bytes, authorized, ...(authorization ? { authorization } : {}) };
      requests.push(entry);
      onRequest?.(entry);
    };
    const refuse = (status, headers = {}) => {
      request.resume();
      record(status, 0);
      response.writeHead(status, headers).end(method === 'HEAD' ? undefined : `${statusText(status)}\n`);
    };
    const loginMissing = expected !== undefined && !authorized;

    if (path.includes('..')) return refuse(400);
    if (pathPrefix && path === full) return refuse(404);
    const file = join(dir, path);
    if (method === 'PUT' && uploads) {
      if (loginMissing) return refuse(401, { 'WWW-Authenticate': 'Basic realm="cache"' });
      return void receive(request, file).then(
        (bytes) => {
          record(201, bytes);
          response.writeHead(201).end();
        },
        () => refuse(500),
      );
    }
    if (method !== 'GET' && method !== 'HEAD') return refuse(405);
    if (privateReads && loginMissing) return refuse(401, { 'WWW-Authenticate': 'Basic realm="cache"' });
    void stat(file).then(
      (info) => (info.isFile() ? send(file, info.size, method, response, record) : refuse(404)),
      () => refuse(404),
    );
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}${pathPrefix}`,
    port: bound,
    dir,
    requests,
    async narinfoNames() {
      return (await readdir(dir)).filter((name) => name.endsWith('.narinfo'));
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends a file (the body too unless `method` is HEAD), recorded before its last byte leaves: whoever
 * got the whole answer finds it among the requests. A fetch cut short is recorded with what was sent.
 */
function send(file, size, method, response, record) {
  let sent = 0;
  let recorded = false;
  const recordOnce = () => {
    if (!recorded) record(200, sent);
    recorded = true;
  };
  response.writeHead(200, { 'content-length': size });
  if (method === 'HEAD' || size === 0) {
    recordOnce();
    response.end();
    return;
  }
  const body = createReadStream(file, { highWaterMark: READ_CHUNK });
  body.on('data', (chunk) => {
    sent += chunk.length;
    if (sent === size) recordOnce();
  });
  body.on('error', () => response.destroy());
  body.pipe(response);
  response.on('close', recordOnce);
}

/** Stores an upload whole or not at all: a reader never sees half a NAR. */
async function receive(request, file) {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${randomBytes(4).toString('hex')}.part`;
  const sink = createWriteStream(partial);
  try {
    await pipeline(request, sink);
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return sink.bytesWritten;
}

function safeDecode(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function statusText(status) {
  return (
    { 400: 'Bad request', 401: 'Unauthorized', 404: 'Not found', 405: 'Method not allowed' }[status] ??
    'Error'
  );
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      uploads: { type: 'boolean', default: false },
      login: { type: 'string' },
      'private-reads': { type: 'boolean', default: false },
      'path-prefix': { type: 'string' },
    },
  });
  const [dir, host = '127.0.0.1', port = '0'] = positionals;
  const password = process.env.BINARY_CACHE_PASSWORD;
  if (!dir || (values.login !== undefined && password === undefined)) {
    process.stderr.write(
      'usage: binary-cache-server.mjs [--uploads] [--login USER] [--private-reads] [--path-prefix /P] DIR HOST [PORT]\n' +
        '(with --login, the password in BINARY_CACHE_PASSWORD)\n',
    );
    process.exit(2);
  }
  const cache = await startBinaryCache({
    dir,
    host,
    port: Number(port),
    uploads: values.uploads,
    privateReads: values['private-reads'],
    ...(values.login !== undefined ? { login: { user: values.login, password } } : {}),
    ...(values['path-prefix'] !== undefined ? { pathPrefix: values['path-prefix'] } : {}),
    onRequest: ({ authorization: _sent, ...request }) => process.stdout.write(`${JSON.stringify(request)}\n`),
  });
  process.stdout.write(`listening ${cache.url}\n`);
  process.on('SIGTERM', () => cache.close().then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

// A binary cache over HTTP: serves a directory `nix copy --to file://DIR` filled (nix-cache-info,
// *.narinfo, nar/*) read-only, and prints one JSON line per request on stdout
// ({"method","path","status","bytes"}) after a first line `listening PORT`. Started by
// scripts/local-nodes.mjs, inside the nodes' network namespace when there is one, so the nodes reach it
// without the runner. Usage: node binary-cache-server.mjs DIR HOST [PORT]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const [dir, host = '127.0.0.1', port = '0'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: binary-cache-server.mjs DIR HOST [PORT]\n');
  process.exit(2);
}

function logRequest(method, path, status, bytes) {
  process.stdout.write(`${JSON.stringify({ method, path, status, bytes })}\n`);
}

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? '/', 'http://cache').pathname;
  const file = join(dir, normalize(path).replace(/^(\.\.[/\\])+/, ''));
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405).end();
    logRequest(request.method, path, 405, 0);
    return;
  }
  let size;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    response.writeHead(404).end();
    logRequest(request.method, path, 404, 0);
    return;
  }
  response.writeHead(200, { 'content-length': size });
  if (request.method === 'HEAD') {
    response.end();
    logRequest('HEAD', path, 200, 0);
    return;
  }
  // Large reads: the nodes fetch GiBs, and 64 KiB chunks cost this one process a core.
  const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
  body.pipe(response);
  response.on('close', () => logRequest('GET', path, 200, response.writableFinished ? size : body.bytesRead));
});

server.listen(Number(port), host, () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

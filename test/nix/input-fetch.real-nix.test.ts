/**
 * A tarball input served on loopback, locked while the server answers, then refused (401) or gone
 * (404) the way a forge answers a request without a valid token: the diagnosis names the input and
 * reads Nix's own words, on Nix 2.8 and 2.26.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner, succeeded } from '../../src/core/process.js';
import { diagnoseInputFetches } from '../../src/nix/input-fetch.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

describeEachVersion(NIX_VERSIONS, 'an input whose server refuses it', () => {
  let dir: string;
  let server: Server;
  let answer: 200 | 401 | 404 = 200;
  let tarball: Buffer;
  let flakeDir: string;
  let runner: SpawnProcessRunner;

  beforeAll(async () => {
    dir = await makeTempDir('input-fetch');
    const content = join(dir, 'corp');
    await mkdir(content, { recursive: true });
    await writeFile(join(content, 'motd'), `corp ${Date.now()} ${Math.random()}\n`);
    const setup = new SpawnProcessRunner(new RecordingLogger());
    const tar = await setup.run('tar', ['-czf', join(dir, 'corp.tar.gz'), '-C', dir, 'corp']);
    if (!succeeded(tar)) throw new Error(tar.stderr);
    tarball = await readFile(join(dir, 'corp.tar.gz'));
    server = createServer((_, response) => {
      response.writeHead(answer, { 'content-type': 'application/gzip' });
      response.end(answer === 200 ? tarball : 'no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    flakeDir = join(dir, 'fleet');
    await mkdir(flakeDir, { recursive: true });
    await writeFile(
      join(flakeDir, 'flake.nix'),
      `{\n  inputs.corp = { url = "http://127.0.0.1:${port}/corp.tar.gz"; flake = false; };\n` +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Nix interpolation, not a JavaScript one
        '  outputs = { corp, ... }: { motd = builtins.readFile "${corp}/motd"; };\n}\n',
    );
    // Nix's fetcher cache (in HOME) remembers the download: the lock is made with one HOME, the
    // fetches under test run with another.
    const withHome = (home: string) =>
      new SpawnProcessRunner(new RecordingLogger(), undefined, {
        ...process.env,
        HOME: home,
        XDG_CACHE_HOME: join(home, '.cache'),
      });
    runner = withHome(join(dir, 'home'));
    const locker = withHome(join(dir, 'locking-home'));
    const nix = (args: string[]) =>
      locker.run('nix', ['--extra-experimental-features', 'nix-command flakes', ...args]);
    const archived = await nix(['flake', 'archive', '--json', flakeDir]);
    if (!succeeded(archived)) throw new Error(archived.stderr);
    const source = (JSON.parse(archived.stdout) as { inputs: { corp: { path: string } } }).inputs.corp.path;
    const deleted = await nix(['store', 'delete', source]);
    if (!succeeded(deleted)) throw new Error(deleted.stderr);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await removeTempDir(dir);
  });

  it.each([
    [401, [], "HTTP error 401: no token was given: set 'nix-access-tokens' to host=token"],
    [401, ['127.0.0.1'], "HTTP error 401: the token of 'nix-access-tokens' was refused"],
    [404, [], "HTTP error 404: not found: a private repository needs 'nix-access-tokens'"],
  ])('answering %i (tokens for %j)', async (status, tokenHosts, reason) => {
    answer = status as 401 | 404;
    const failures = await diagnoseInputFetches({ runner, flakeDir, sshKeyGiven: false, tokenHosts });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.input).toBe('corp');
    expect(failures[0]?.url).toMatch(/^tarball\+http:\/\/127\.0\.0\.1:\d+\/corp\.tar\.gz$/);
    expect(failures[0]?.reason).toMatch(/^unable to download 'http:\/\/127\.0\.0\.1:\d+\/corp\.tar\.gz': /);
    expect(failures[0]?.reason).toContain(reason);
  });
});

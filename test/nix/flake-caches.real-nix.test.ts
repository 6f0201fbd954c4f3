import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NixCli } from '../../src/nix/cli.js';
import { readFlakeCaches, workflowCacheInputs } from '../../src/nix/flake-caches.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

describeEachVersion(NIX_VERSIONS, "a flake's nixConfig caches", () => {
  let tempDir: string;
  let nix: NixCli;

  beforeAll(async () => {
    ({ nix } = await requireNix());
    tempDir = await makeTempDir('flake-caches');
  });
  afterAll(() => removeTempDir(tempDir));

  async function flake(name: string, nixConfig: string): Promise<string> {
    const dir = join(tempDir, name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'flake.nix'),
      `{\n  description = "fleet";\n${nixConfig}\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";\n  outputs = { self, nixpkgs }: throw "outputs are not evaluated";\n}\n`,
    );
    return dir;
  }

  it('reads lists and space-separated strings without evaluating outputs or fetching inputs', async () => {
    const dir = await flake(
      'listed',
      `  nixConfig = {
    extra-substituters = [ "https://homelab.cachix.org" "https://attic.lan/fleet" ];
    extra-trusted-public-keys = "homelab.cachix.org-1:AbC= fleet:XyZ=";
  };`,
    );
    const caches = await readFlakeCaches(nix, dir);
    expect(caches).toEqual({
      substituters: ['https://homelab.cachix.org', 'https://attic.lan/fleet'],
      publicKeys: ['homelab.cachix.org-1:AbC=', 'fleet:XyZ='],
    });
    expect(workflowCacheInputs(caches)).toEqual({
      cachixCache: 'homelab',
      cacheUrls: ['https://attic.lan/fleet'],
      cachePublicKeys: ['fleet:XyZ='],
    });
  });

  it('finds none in a flake without nixConfig', async () => {
    expect(await readFlakeCaches(nix, await flake('plain', ''))).toEqual({
      substituters: [],
      publicKeys: [],
    });
  });
});

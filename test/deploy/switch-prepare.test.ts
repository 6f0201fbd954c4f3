import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSwitchEngine } from '../../src/deploy/switch/switch-engine.js';
import { evaluateToplevels } from '../../src/deploy/switch/switch-nodes.js';
import { buildToplevels, errorsNaming } from '../../src/deploy/switch/switch-prepare.js';
import type { NixCli } from '../../src/nix/cli.js';
import { NixStore } from '../../src/nix/store.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { deploySettings } from './support.js';

let root: string;
let nix: NixCli;
let store: NixStore;

const SYSTEM = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-${process.platform === 'darwin' ? 'darwin' : 'linux'}`;

/** NixOS configurations whose toplevels run `script` (a shell line) to build. */
async function fleet(dir: string, scripts: Record<string, string>): Promise<string> {
  const path = join(root, dir);
  await mkdir(path, { recursive: true });
  const hosts = Object.entries(scripts).map(
    ([name, script]) =>
      `${name}.config.system.build.toplevel = derivation { name = "${name}"; system = "${SYSTEM}"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script)} ]; };`,
  );
  await writeFile(
    join(path, 'flake.nix'),
    `{ outputs = { self }: { nixosConfigurations = { ${hosts.join(' ')} }; }; }\n`,
  );
  return path;
}

describeEachVersion(NIX_VERSIONS, 'the switch engine before the first wave', () => {
  // NixCli remembers the version it met: each version gets its own, and its own flakes.
  beforeAll(async () => {
    const real = await requireNix();
    nix = real.nix;
    store = new NixStore(real.runner);
    root = await makeTempDir('switch-prepare');
  });
  afterAll(() => removeTempDir(root));

  it('builds every toplevel in one nix build and names only the one that failed, with its own error', async () => {
    const nonce = `${Date.now()}-${process.pid}`;
    const dir = await fleet('build', {
      web: `echo ${nonce} > $out`,
      db: `echo ${nonce} > $out`,
      mail: 'echo "mail cannot build: boom" >&2; exit 1',
    });
    const systems = await evaluateToplevels(nix, dir, ['web', 'db', 'mail']);
    const [web, db, mail] = [systems.web, systems.db, systems.mail].map((system) => {
      if (system === undefined) throw new Error('a toplevel was not evaluated');
      return system;
    }) as [NonNullable<typeof systems.web>, NonNullable<typeof systems.web>, NonNullable<typeof systems.web>];

    const failures = await buildToplevels(nix, store, [web, mail, db]);
    expect([...failures.keys()]).toEqual([mail.path]);
    expect(failures.get(mail.path)).toContain(`building ${mail.path} failed: `);
    expect(failures.get(mail.path)).toContain(mail.drvPath);
    expect(failures.get(mail.path)).toContain('mail cannot build: boom');
    expect((await store.validPaths([web.path, db.path, mail.path])).sort()).toEqual(
      [web.path, db.path].sort(),
    );
    expect(await buildToplevels(nix, store, [web, db])).toEqual(new Map());
  }, 120_000);

  it('keeps of a joint failure the paragraphs naming the derivation', () => {
    const message = [
      "error: builder for '/nix/store/a-web.drv' failed with exit code 1;",
      '       last 1 log lines:',
      '       > web is broken',
      "error: builder for '/nix/store/b-db.drv' failed with exit code 2",
    ].join('\n');
    expect(errorsNaming(message, '/nix/store/b-db.drv')).toBe(
      "error: builder for '/nix/store/b-db.drv' failed with exit code 2",
    );
    expect(errorsNaming(message, '/nix/store/a-web.drv')).toContain('> web is broken');
    expect(errorsNaming('error: out of disk space', '/nix/store/a-web.drv')).toBe('error: out of disk space');
  });

  it('plans from the configurations without evaluating one: only the selected nodes are evaluated later', async () => {
    const dir = join(root, 'select');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'flake.nix'),
      `{ outputs = { self }: { nixosConfigurations.web.config.system.build.toplevel = derivation { name = "web"; system = "${SYSTEM}"; builder = "/bin/sh"; }; nixosConfigurations.broken.config.system.build.toplevel = throw "broken is never selected"; }; }\n`,
    );
    const engine = await openSwitchEngine(deploySettings({ engine: 'switch', targets: 'web' }), nix, dir);
    expect(engine.nodes.map((node) => node.name).sort()).toEqual(['broken', 'web']);
    expect(Object.keys(await evaluateToplevels(nix, dir, ['web']))).toEqual(['web']);
  });
});

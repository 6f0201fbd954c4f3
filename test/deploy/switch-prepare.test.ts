import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import type { ProcessResult, ProcessRunner } from '../../src/core/process.js';
import { openEngine } from '../../src/deploy/engines.js';
import { NodeShell } from '../../src/deploy/switch/node-ssh.js';
import { openSwitchEngine } from '../../src/deploy/switch/switch-engine.js';
import { evaluateToplevels, mergeSwitchNodes } from '../../src/deploy/switch/switch-nodes.js';
import { buildToplevels, errorsNaming, prepareSwitchNodes } from '../../src/deploy/switch/switch-prepare.js';
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

/** An ssh that answers every read with `running` and records each command's last arguments. */
class ScriptedSsh implements ProcessRunner {
  readonly calls: string[] = [];
  async run(command: string, args: readonly string[]): Promise<ProcessResult> {
    this.calls.push(args.includes('-O') ? `exit ${args.at(-1)}` : `read ${args.at(-2)}`);
    return {
      command,
      args,
      exitCode: 0,
      signal: null,
      stdout: 'running:/nix/store/x-running\n',
      stderr: '',
      timedOut: false,
      durationMs: 1,
    };
  }
}

it('reads the nodes while the toplevels evaluate, and closes the connections it opened when the evaluation fails', async () => {
  const ssh = new ScriptedSsh();
  const nodes = mergeSwitchNodes(
    { hasDeployNodes: false, systems: { web: { kind: 'nixos' }, db: { kind: 'nixos' } }, flakeNodes: null },
    undefined,
    {},
  );
  let failEvaluation: (error: Error) => void = () => {};
  const systems = new Promise<never>((_, reject) => {
    failEvaluation = reject;
  });
  const prepared = prepareSwitchNodes(nodes, {
    nix: {} as NixCli,
    store: new NixStore(ssh),
    systems,
    shellFor: (node) => new NodeShell(ssh, node, [], `/tmp/c-${node.name}`),
    force: false,
    remoteBuild: false,
    substituteOnNodes: false,
    readsAtOnce: 16,
  });
  await vi.waitFor(() => expect(ssh.calls).toHaveLength(2));
  expect(ssh.calls.sort()).toEqual(['read root@db', 'read root@web']);
  failEvaluation(new Error('toplevel of web: infinite recursion'));
  await expect(prepared).rejects.toThrow('infinite recursion');
  expect(ssh.calls.sort()).toEqual(['exit root@db', 'exit root@web', 'read root@db', 'read root@web']);
});

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

  it('engine auto picks the switch engine and plans its nodes in one evaluation', async () => {
    const dir = await fleet('auto', { web: 'echo > $out', db: 'echo > $out' });
    const evaluations = vi.spyOn(nix, 'evalJson');
    try {
      const logger = new RecordingLogger();
      const engine = await openEngine(deploySettings({ engine: 'auto' }), nix, dir, logger);
      expect(engine.name).toBe('switch');
      expect(engine.nodes.map((node) => node.name).sort()).toEqual(['db', 'web']);
      expect(logger.lines.map((line) => line.message)).toContain(
        'Engine auto: switch, since the flake has no deploy.nodes',
      );
      expect(evaluations).toHaveBeenCalledTimes(1);
    } finally {
      evaluations.mockRestore();
    }
  });
});

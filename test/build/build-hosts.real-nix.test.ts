import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildSettings, buildHosts } from '../../src/build/build-hosts.js';
import { resultFile } from '../../src/build/build-result.js';
import { buildInputs } from '../../src/build/inputs.js';
import { parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { commitAll, git } from '../../src/demo/git-repo.js';
import { installable, type NixCli } from '../../src/nix/cli.js';
import { addHost, editHostModule } from '../hosts/support.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

describeEachVersion(NIX_VERSIONS, 'build on real Nix', () => {
  let nix: NixCli;
  let runner: SpawnProcessRunner;
  let tempDir: string;
  let example: ExampleFleet;
  let fleets = 0;

  beforeAll(async () => {
    ({ nix, runner } = await requireNix());
    tempDir = await makeTempDir('build');
    example = await materializeExampleFleet(join(tempDir, 'example'));
  });
  afterAll(() => removeTempDir(tempDir));

  function settings(raw: Record<string, string>): BuildSettings {
    return parseInputs(buildInputs, (name) => raw[name]);
  }

  async function build(workspace: string, raw: Record<string, string>) {
    const logger = new RecordingLogger();
    const outcome = await buildHosts(settings(raw), {
      runner: new SpawnProcessRunner(logger),
      logger,
      workspace,
      tempDir,
      resultDir: join(tempDir, 'results'),
    });
    const file = resultFile.parse(JSON.parse(await readFile(outcome.resultFile, 'utf8')));
    return {
      outcome,
      logger,
      file,
      commands: logger.lines.filter((line) => line.message.startsWith('$ nix')).map((line) => line.message),
    };
  }

  /** A generated fleet whose derivations no other test shares, so nothing of it is built yet. */
  async function uniqueFleet(hosts = 4) {
    fleets += 1;
    const fleet = await generateFleet(join(tempDir, `fleet-${fleets}`), hosts);
    const marker = `${process.pid}-${Date.now()}-${fleets}`;
    await writeFile(
      join(fleet.flakeDir, 'modules', 'marker.nix'),
      `{ ... }: { environment.etc.marker.text = "${marker}"; }\n`,
    );
    const common = join(fleet.flakeDir, 'modules', 'common.nix');
    const text = await readFile(common, 'utf8');
    const marked = text.replace(/^(\{[^\n]*\}:\n\{\n)/m, '$1  imports = [ ./marker.nix ];\n');
    if (marked === text) throw new Error(`cannot find the module header of ${common} to import the marker`);
    await writeFile(common, marked);
    await commitAll(runner, fleet.flakeDir, 'Mark this fleet');
    return fleet;
  }

  describe('build', () => {
    it('builds a host by name and describes it', async () => {
      const { outcome, file } = await build(example.rootDir, { path: 'homelab', host: 'pi' });
      const pi = ['nixosConfigurations', 'pi', 'config', 'system', 'build', 'toplevel'];
      const outPath = await nix.evalJson<string>(`${installable(example.flakeDir, pi)}.outPath`);
      const sizes = await runner.run('nix', [
        'path-info',
        '--extra-experimental-features',
        'nix-command',
        '--json',
        '-S',
        outPath,
      ]);
      // Nix < 2.19 prints a list of paths, later Nix an object keyed by path.
      const listed = JSON.parse(sizes.stdout) as
        | { closureSize: number }[]
        | Record<string, { closureSize: number }>;
      const closureSize = Array.isArray(listed) ? listed[0]?.closureSize : listed[outPath]?.closureSize;
      expect(closureSize).toBeGreaterThan(0);
      expect(outcome.results).toEqual([
        {
          host: 'pi',
          kind: 'nixos',
          attr: 'nixosConfigurations.pi.config.system.build.toplevel',
          status: 'built',
          system: 'aarch64-linux',
          drvPath: await nix.evalJson(`${installable(example.flakeDir, pi)}.drvPath`),
          outPath,
          closureSize,
          durationMs: expect.any(Number),
        },
      ]);
      expect(file.results).toEqual(outcome.results);
      expect(outcome.resultFile).toBe(join(tempDir, 'results', 'flakeflow-result-pi.json'));
    });

    it('builds the derivation the hosts job evaluated without evaluating again', async () => {
      const attr = 'homeConfigurations."alice@workstation".activationPackage';
      const drvPath = await nix.evalJson<string>(`${example.flakeDir}#${attr}.drvPath`);
      const { outcome, commands } = await build(example.rootDir, {
        path: 'homelab',
        host: 'alice@workstation',
        attr,
        'drv-path': drvPath,
      });
      expect(outcome.results[0]).toMatchObject({
        status: 'built',
        kind: 'home',
        system: 'x86_64-linux',
        drvPath,
      });
      expect(commands.some((command) => command.startsWith('$ nix eval'))).toBe(false);
      const version = await nix.version();
      const expected = version.major === 2 && version.minor < 13 ? drvPath : `${drvPath}^*`;
      expect(commands.find((command) => command.startsWith('$ nix build'))).toContain(
        `--json --no-link ${expected}`,
      );
    });

    it('evaluates the host instead when its derivation is not in this store', async () => {
      const missing = '/nix/store/00000000000000000000000000000000-nixos-system-media-24.11.drv';
      const { outcome, logger } = await build(example.rootDir, {
        path: 'homelab',
        host: 'media',
        'drv-path': missing,
      });
      expect(outcome.results[0]).toMatchObject({ host: 'media', status: 'built', kind: 'nixos' });
      expect(outcome.results[0]?.drvPath).not.toBe(missing);
      expect(logger.text()).toContain(
        `${missing} is not in this store (the hosts job ran elsewhere): evaluating nixosConfigurations.media.config.system.build.toplevel`,
      );
      expect(logger.text()).toContain('the flake changed between the jobs');
    });

    it('builds every host of a packed matrix entry into one result-file', async () => {
      const fleet = await uniqueFleet(10);
      const { outcome, file } = await build(fleet.flakeDir, {
        host: 'srv-001 mac-009',
        'eval-workers': '1',
        'eval-max-memory': '1GiB',
      });
      expect(
        outcome.results.map((result) => [result.host, result.kind, result.status, result.system]),
      ).toEqual([
        ['srv-001', 'nixos', 'built', 'x86_64-linux'],
        ['mac-009', 'darwin', 'built', 'aarch64-darwin'],
      ]);
      expect(file.results).toHaveLength(2);
      expect(outcome.resultFile.endsWith('flakeflow-result-srv-001+1.json')).toBe(true);
    });

    it('reports a build that fails with Nix’s message, a host it cannot find, and a system it cannot build', async () => {
      const fleet = await uniqueFleet(2);
      const flake = join(fleet.flakeDir, 'flake.nix');
      const extra = `      packages.x86_64-linux.broken = builtins.derivation { name = "broken"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo the tests failed >&2; exit 3" ]; };
        packages.mips-linux.router = builtins.derivation { name = "router"; system = "mips-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; };
        formatter.x86_64-linux`;
      await writeFile(flake, (await readFile(flake, 'utf8')).replace('      formatter.x86_64-linux', extra));
      await commitAll(runner, fleet.flakeDir, 'Add packages');
      const { outcome } = await build(fleet.flakeDir, {
        host: 'broken nowhere router',
        attr: 'packages.x86_64-linux.broken packages.x86_64-linux.nowhere packages.mips-linux.router',
      });
      const [broken, nowhere, router] = outcome.results;
      expect(broken).toMatchObject({ host: 'broken', status: 'failed' });
      expect(broken?.error).toMatch(
        /^error: builder for '\/nix\/store\/[0-9a-z]{32}-broken\.drv' failed with exit code 3/,
      );
      expect(nowhere).toMatchObject({ host: 'nowhere', status: 'failed' });
      expect(nowhere?.error).toMatch(
        /^error: flake '.*' does not provide attribute .*'packages\.x86_64-linux\.nowhere'$/,
      );
      expect(router).toMatchObject({
        host: 'router',
        status: 'eval-only',
        system: 'mips-linux',
        error: 'this runner (x86_64-linux) cannot build mips-linux: evaluated only',
      });
      const { outcome: byName } = await build(fleet.flakeDir, { host: 'ghost' });
      expect(byName.results[0]?.error).toBe(
        "no host named 'ghost' in nixosConfigurations, darwinConfigurations, homeConfigurations or checks",
      );
    });
  });

  describe('compare-to', () => {
    it('diffs the closure against the revision when its output is in the store', async () => {
      const fleet = await uniqueFleet(2);
      await build(fleet.flakeDir, { host: 'srv-001' });
      const base = await git(runner, fleet.flakeDir, ['rev-parse', 'HEAD']);
      await editHostModule(
        fleet.flakeDir,
        'srv-001',
        (text) => text.replace('{\n  imports', '{\n  system.nixos.release = "25.05";\n  imports'),
        'srv-001: 25.05',
      );
      const { outcome } = await build(fleet.flakeDir, { host: 'srv-001', 'compare-to': base });
      const comparison = outcome.results[0]?.comparison;
      expect(comparison).toMatchObject({ revision: base, status: 'compared' });
      // Nix splits the name at the first dash before a digit: srv-001's number becomes part of the version.
      expect(comparison?.changes).toEqual([
        { name: 'nixos-system-srv', before: ['001-24.11'], after: ['001-25.05'] },
      ]);
      expect(comparison?.diff).toBe('nixos-system-srv: 001-24.11 → 001-25.05');
      expect(comparison?.delta).toBe(
        (outcome.results[0]?.closureSize ?? 0) - (comparison?.baseClosureSize ?? 0),
      );
    });

    it('says why there is no diff when the revision’s output was never built, or the host is new', async () => {
      const fleet = await uniqueFleet(2);
      const base = await git(runner, fleet.flakeDir, ['rev-parse', 'HEAD']);
      await editHostModule(
        fleet.flakeDir,
        'srv-001',
        (text) => text.replace('ext4', 'btrfs'),
        'srv-001: btrfs',
      );
      const { outcome } = await build(fleet.flakeDir, { host: 'srv-001', 'compare-to': 'HEAD~1' });
      const comparison = outcome.results[0]?.comparison;
      expect(comparison?.status).toBe('unavailable');
      expect(comparison?.reason).toMatch(
        /^its output at HEAD~1 \(\/nix\/store\/[0-9a-z]{32}-nixos-system-srv-001-24\.11\) is neither in this store nor in a substituter: build HEAD~1 with push-to set so the next comparison has it$/,
      );
      await addHost(fleet.flakeDir, 'srv-009');
      const { outcome: fresh } = await build(fleet.flakeDir, { host: 'srv-009', 'compare-to': base });
      expect(fresh.results[0]).toMatchObject({ status: 'built' });
      expect(fresh.results[0]?.comparison).toEqual({
        revision: base,
        status: 'new',
        reason: `not in ${base}`,
        changes: [],
        diff: '',
      });
    });
  });

  describe('push-to', () => {
    it('signs with the key from a 0600 file it removes, and copies the closure to the cache', async () => {
      const fleet = await uniqueFleet(2);
      const key = await runner.run('nix', [
        'key',
        'generate-secret',
        '--extra-experimental-features',
        'nix-command',
        '--key-name',
        'flakeflow-test-1',
      ]);
      const cache = join(tempDir, 'pushed-cache');
      const { outcome, logger } = await build(fleet.flakeDir, {
        host: 'srv-001',
        'push-to': `file://${cache}`,
        'signing-key': key.stdout,
      });
      const result = outcome.results[0];
      expect(result?.pushedTo).toBe(`file://${cache}`);
      const hash = /\/nix\/store\/([0-9a-z]{32})-/.exec(result?.outPath ?? '')?.[1];
      const narinfo = await readFile(join(cache, `${hash}.narinfo`), 'utf8');
      expect(narinfo).toMatch(/^Sig: flakeflow-test-1:/m);
      expect((await readdir(tempDir)).filter((name) => name.startsWith('flakeflow-signing-'))).toEqual([]);
      expect(logger.text()).not.toContain(key.stdout.trim());
      expect(logger.secrets.size).toBeGreaterThan(0);
    });
  });
});

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDiffClosures } from '../../src/build/diff-closures.js';
import { NixCli } from '../../src/nix/cli.js';
import { NixError, nixErrorText } from '../../src/nix/errors.js';
import { closureSizesOf, validPathsOf } from '../../src/nix/store.js';
import { parseNixVersion } from '../../src/nix/version.js';
import { RECORDED_DIR, ReplayRunner, readRecording } from '../support/recorded.js';

// Store paths as the recordings show them: both Nix versions built the same two hosts.
const MEDIA = '/nix/store/v3kprbpcdcnbal0vashcpx4j4msnh73a-nixos-system-media-24.11';
const MEDIA_DRV = '/nix/store/3hmsvzgvpmf5p57564g5lk3pj48pma7h-nixos-system-media-24.11.drv';
const GATEWAY = '/nix/store/w6cz70gvy21z3xlhzchql3krblcrlaxl-nixos-system-gateway-24.11';
const GATEWAY_DRV = '/nix/store/ld4lawnkavrjxzk3bihvcrnplkqpd6mm-nixos-system-gateway-24.11.drv';
const SOURCE = '/nix/store/girwpqdix7n2ymz4f54maxszc90hjzml-source';

const VERSIONS = [
  { dir: 'nix/nix-2.8', minor: 8, patch: 0 },
  { dir: 'nix/nix-2.26', minor: 26, patch: 3 },
] as const;

for (const { dir, minor, patch } of VERSIONS) {
  const recording = (name: string) => readRecording(`${dir}/${name}.txt`);
  const replay = (name: string) => new NixCli(new ReplayRunner(recording('01-version'), recording(name)));

  describe(`recorded Nix 2.${minor} outputs through flakeflow's parsers`, () => {
    it('reads the version', () => {
      expect(parseNixVersion(recording('01-version').stdout)).toMatchObject({ major: 2, minor, patch });
    });

    it('reads `nix build --json` of two hosts', async () => {
      const built = await replay('05b-build-json').build(['x']);
      expect(built).toHaveLength(2);
      expect(built).toEqual(
        expect.arrayContaining([
          { drvPath: MEDIA_DRV, outputs: { out: MEDIA } },
          { drvPath: GATEWAY_DRV, outputs: { out: GATEWAY } },
        ]),
      );
    });

    it('reads `nix eval --json` of a derivation path and with --apply', async () => {
      expect(JSON.parse(recording('04b-eval-json-drvpath').stdout)).toBe(MEDIA_DRV);
      await expect(replay('04c-eval-json-apply').evalJson({ expr: 'x' })).resolves.toBeDefined();
    });

    it('reads `nix path-info --json` in this version’s shape: valid, closure size, missing', () => {
      expect(validPathsOf(JSON.parse(recording('08-path-info-json').stdout))).toEqual([MEDIA]);
      expect(closureSizesOf(JSON.parse(recording('08b-path-info-json-closure-size').stdout))).toEqual(
        new Map([[MEDIA, 5952]]),
      );
      expect(validPathsOf(JSON.parse(recording('08c-path-info-json-missing').stdout))).toEqual([]);
      expect(validPathsOf(JSON.parse(recording('08d-path-info-json-recursive').stdout))).toEqual(
        expect.arrayContaining([MEDIA, SOURCE]),
      );
    });

    it('reads `nix store diff-closures` between two hosts', () => {
      expect(parseDiffClosures(recording('11b-store-diff-closures-media-homeserver').stdout)).toEqual([
        { name: 'nixos-system-homeserver', before: [], after: ['24.11'] },
        { name: 'nixos-system-media', before: ['24.11'], after: [] },
      ]);
      expect(parseDiffClosures(recording('11-store-diff-closures').stdout)).toEqual([]);
    });

    it('reports an evaluation error with Nix’s own message', async () => {
      const failure = await replay('14-eval-error')
        .evalJson({ expr: 'x' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(NixError);
      expect((failure as NixError).nixMessage).toBe(
        "error: flake 'git+file://<fleet>' does not provide attribute 'packages.x86_64-linux.nixosConfigurations.nope', 'legacyPackages.x86_64-linux.nixosConfigurations.nope' or 'nixosConfigurations.nope'",
      );
    });

    it('takes the lock-file warning of `nix flake lock --update-input` (both quotings) for progress, not an error', () => {
      const update = recording('10-flake-lock-update-input');
      expect(update.exitCode).toBe(0);
      expect(update.stderr).toMatch(
        minor === 8
          ? /^warning: updating lock file '<fleet>\/flake\.lock':$/m
          : /^warning: '--update-input' is a deprecated alias for 'flake update'/m,
      );
      expect(nixErrorText(update.stderr)).not.toMatch(/^warning:/m);
    });

    it('has a recording of every case the other version has', () => {
      const names = (path: string) => readdirSync(new URL(path, RECORDED_DIR)).sort();
      expect(names(dir)).toEqual(expect.arrayContaining(names('nix/nix-2.8')));
    });
  });
}

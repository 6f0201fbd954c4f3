import { afterAll, describe, expect, it } from 'vitest';
import { materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { cleanUp, gate, repository, tempDir } from './support.js';

afterAll(cleanUp);

describeEachVersion(NIX_VERSIONS, 'checks: flake-check', () => {
  it('passes on the example fleet, whose formatter auto picks through nix fmt', async () => {
    await requireNix();
    const fleet = await materializeExampleFleet(await tempDir('fleet'));
    const { result } = await gate(fleet.flakeDir, { checks: 'flake-check,format', tools: 'path' });
    expect(result.failures).toEqual([]);
    expect(result.findings).toEqual([]);
    expect(result.checks.map((check) => [check.check, check.tool])).toEqual([
      ['format', 'nix fmt (homelab-fmt)'],
      ['flake-check', 'nix flake check'],
    ]);
    expect(result.passed).toBe(true);
  });

  it('reports an evaluation error where Nix points into the flake', async () => {
    await requireNix();
    const dir = await repository({
      'infra/flake.nix': '{\n  outputs = { self }: {\n    checks = import ./checks.nix;\n  };\n}\n',
      'infra/checks.nix': '{\n  x86_64-linux.broken = builtins.throw "the pi has no SD card";\n}\n',
    });
    const { result } = await gate(dir, { checks: 'flake-check', path: 'infra' });
    expect(result.passed).toBe(false);
    expect(result.findings).toHaveLength(1);
    const [finding] = result.findings;
    expect(finding).toMatchObject({ check: 'flake-check', severity: 'error', rule: 'flake-check' });
    expect(finding?.message).toContain('the pi has no SD card');
    expect(finding?.file).toMatch(/^infra\/(checks|flake)\.nix$/);
  });
});

describe('positions in Nix error text', () => {
  it('maps a store path of the flake source back to the file, through a subdirectory flake', async () => {
    const { sourcePosition } = await import('../../src/gate/tools/flake-check.js');
    const dir = await repository({ 'infra/flake.nix': '{ }\n', 'infra/hosts/pi.nix': '{ }\n' });
    const text = [
      "error: attribute 'sdImage' missing",
      '       at /nix/store/0c7ykgk8l5a0q7ndc0fj1cwhz2mzzjj0-source/infra/hosts/pi.nix:12:5:',
      '           11|',
    ].join('\n');
    const { realpath } = await import('node:fs/promises');
    const root = await realpath(dir);
    expect(await sourcePosition(text, `${root}/infra`, root)).toEqual({
      path: 'hosts/pi.nix',
      line: 12,
      column: 5,
    });
    expect(await sourcePosition('error: no position', `${root}/infra`, root)).toBeUndefined();
  });
});

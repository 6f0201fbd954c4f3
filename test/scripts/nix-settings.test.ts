import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flakeflowNixConfig, flakeflowNixSettings, groupExists } from '../../scripts/nix-settings.mjs';

describe('flakeflow’s own Nix settings', () => {
  it('builds as root without a build-users group only where the machine has no nixbld group', () => {
    expect(flakeflowNixSettings({ uid: 0, hasBuildGroup: false })).toContain('build-users-group =');
    expect(flakeflowNixSettings({ uid: 0, hasBuildGroup: true })).not.toContain('build-users-group');
    expect(flakeflowNixSettings({ uid: 1000, hasBuildGroup: false })).not.toContain('build-users-group');
  });

  it('keeps flakes on, the sandbox off and every substituter away', () => {
    const lines = flakeflowNixSettings({ uid: 1000, hasBuildGroup: true }).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'experimental-features = nix-command flakes',
        'sandbox = false',
        'substituters =',
      ]),
    );
  });

  it('appends to the NIX_CONFIG the caller already had instead of replacing it', () => {
    const config = flakeflowNixConfig('extra-substituters = file:///cache');
    expect(config.split('\n')[0]).toBe('extra-substituters = file:///cache');
    expect(config).toContain('substituters =');
  });

  it('reads groups from the group file by exact name', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'flakeflow-groups-')), 'group');
    await writeFile(file, 'root:x:0:\nnixbldx:x:30000:\n');
    expect(groupExists('nixbld', file)).toBe(false);
    await writeFile(file, 'root:x:0:\nnixbld:x:30000:nixbld1\n');
    expect(groupExists('nixbld', file)).toBe(true);
    expect(groupExists('nixbld', join(file, 'missing'))).toBe(false);
  });
});

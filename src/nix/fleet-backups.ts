import { installable, type NixCli } from './cli.js';
import type { FleetReadOptions, HostBackupFacts } from './fleet.js';
import { fleetExpression } from './fleet-expression.js';

// Apart from fleet.ts: backup-verify asks only this, and need not carry readFleetFacts.

/**
 * One NixOS host's restic backups, its configuration evaluated through the flake's own installable,
 * so a host the flake does not have fails with Nix's message naming the attribute.
 */
export async function readHostBackups(
  nix: NixCli,
  flakeDir: string,
  host: string,
  options: FleetReadOptions = {},
): Promise<HostBackupFacts> {
  const { expressionFile, ...run } = options;
  const { backups } = await nix.evalJson<{ backups: HostBackupFacts }>(
    installable(flakeDir, ['nixosConfigurations', host, 'config']),
    {
      ...run,
      impure: true,
      apply: `config: ${fleetExpression({ facts: ['backups'], hostConfig: 'config', expressionFile })}`,
    },
  );
  return backups;
}

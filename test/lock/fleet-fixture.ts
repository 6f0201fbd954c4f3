import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { repositoryRoot } from '../harness/run-action.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';

export function requireBundle(name: string): void {
  const bundle = join(repositoryRoot, 'dist', name, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
}

export interface FleetWorkspace {
  fleet: ExampleFleet;
  /** The checkout the action runs in: the fleet's git repository. */
  workspace: string;
  lockText(): Promise<string>;
  dispose(): Promise<void>;
}

/** A fresh example fleet (real git repositories, a lock written by real Nix) to run the action in. */
export async function fleetWorkspace(): Promise<FleetWorkspace> {
  await requireNix();
  const dir = await makeTempDir('lock-update');
  const fleet = await materializeExampleFleet(join(dir, 'fleet'));
  return {
    fleet,
    workspace: fleet.flakeDir,
    lockText: () => readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8'),
    dispose: () => removeTempDir(dir),
  };
}

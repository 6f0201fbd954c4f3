import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { commitAll } from '../../src/demo/git-repo.js';
import type { NarinfoProbe } from '../../src/hosts/binary-cache.js';
import { hostsInputs } from '../../src/hosts/inputs.js';
import { type HostsDependencies, type HostsSettings, listHosts } from '../../src/hosts/list-hosts.js';

/** Settings as the action parses them from raw `with:` values, defaults included. */
export function hostsSettings(raw: Record<string, string> = {}): HostsSettings {
  return parseInputs(hostsInputs, (name) => raw[name]);
}

export const noHttp: NarinfoProbe = {
  head: async (url) => {
    throw new Error(`no HTTP expected in this test, asked for ${url}`);
  },
};

export function hostsDependencies(
  workspace: string,
  tempDir: string,
  extra: Partial<HostsDependencies> = {},
) {
  const logger = new RecordingLogger();
  const dependencies: HostsDependencies = {
    runner: new SpawnProcessRunner(logger),
    logger,
    probe: noHttp,
    workspace,
    tempDir,
    machine: { cores: cpus().length, memoryKiB: Math.floor(totalmem() / 1024) },
    ...extra,
  };
  return { dependencies, logger };
}

export async function runHosts(
  workspace: string,
  tempDir: string,
  raw: Record<string, string> = {},
  extra: Partial<HostsDependencies> = {},
) {
  const { dependencies, logger } = hostsDependencies(workspace, tempDir, extra);
  return { result: await listHosts(hostsSettings(raw), dependencies), logger };
}

/** Rewrites one host module of a generated fleet and commits it. */
export async function editHostModule(
  flakeDir: string,
  hostDir: string,
  edit: (text: string) => string,
  message: string,
): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const file = join(flakeDir, 'hosts', hostDir, 'default.nix');
  await writeFile(file, edit(await readFile(file, 'utf8')));
  return commitAll(new SpawnProcessRunner(new RecordingLogger()), flakeDir, message);
}

/** Adds a NixOS host to a generated fleet (a copy of srv-001's module) and commits it. */
export async function addHost(flakeDir: string, name: string): Promise<string> {
  const { mkdir, readFile } = await import('node:fs/promises');
  const module = (await readFile(join(flakeDir, 'hosts', 'srv-001', 'default.nix'), 'utf8')).replace(
    '"srv-001"',
    `"${name}"`,
  );
  await mkdir(join(flakeDir, 'hosts', name));
  await writeFile(join(flakeDir, 'hosts', name, 'default.nix'), module);
  const hostsFile = join(flakeDir, 'hosts.nix');
  const entry = `  "${name}" = {\n    kind = "nixos";\n    system = "x86_64-linux";\n    module = ./hosts/${name};\n    tags = [ "servers" ];\n    wave = 2;\n  };\n}\n`;
  await writeFile(hostsFile, (await readFile(hostsFile, 'utf8')).replace(/}\n$/, entry));
  return commitAll(new SpawnProcessRunner(new RecordingLogger()), flakeDir, `Add ${name}`);
}

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import {
  cleanUp,
  copyFakes,
  fakeBin,
  fakePackage,
  gate,
  git,
  pathWith,
  repository,
  tempDir,
  writeTree,
} from './support.js';

afterAll(cleanUp);

const TOOLS = ['deadnix', 'statix', 'alejandra', 'nixfmt', 'treefmt'];
const FILES = {
  'hosts/media.nix': '{ config, lib, ... }:\n{\n  enable = config.media.enable == true;\n}\n',
  'hosts/gateway.nix': '{ }   \n',
};

let nixpkgs = '';
let nixConfig = '';
beforeAll(async () => {
  await requireNix();
  nixpkgs = await tempDir('nixpkgs');
  await copyFakes(nixpkgs);
  const { currentSystem } = await import('./support.js');
  const packages = TOOLS.map((tool) => `      ${tool} = ${fakePackage(tool)};`).join('\n');
  await writeTree(nixpkgs, {
    'flake.nix': `{\n  outputs = { self }: {\n    legacyPackages.${currentSystem()} = {\n${packages}\n    };\n  };\n}\n`,
  });
  await git(nixpkgs, 'init', '--quiet');
  await git(nixpkgs, 'add', '--all');
  await git(nixpkgs, 'commit', '--quiet', '--message', 'nixpkgs');
  // Nix 2.8 reads the global registry before --inputs-from overrides it; the tests turn that off,
  // so it gets an empty one instead.
  const registry = join(await tempDir('registry'), 'registry.json');
  await writeFile(registry, '{"flakes":[],"version":2}\n');
  nixConfig = `${process.env.NIX_CONFIG ?? ''}\nflake-registry = ${registry}\n`;
});

async function fleetWithNixpkgs(): Promise<string> {
  const dir = await repository({
    'flake.nix': `{\n  inputs.nixpkgs.url = "git+file://${nixpkgs}";\n  outputs = { self, nixpkgs }: { inherit self; };\n}\n`,
    ...FILES,
  });
  const { nix } = await requireNix();
  await nix.lock(dir, { env: { NIX_CONFIG: nixConfig } });
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '--message', 'lock');
  return dir;
}

async function toolCalls(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).tool)
    .sort();
}

describeEachVersion(NIX_VERSIONS, 'tools from the flake’s own nixpkgs', () => {
  it('tools: nix runs every tool with nix run --inputs-from, and finds what PATH tools find', async () => {
    const dir = await fleetWithNixpkgs();
    const log = join(await tempDir('log'), 'calls.jsonl');
    const { result, logger } = await gate(
      dir,
      { tools: 'nix', formatter: 'alejandra' },
      { env: { PATH: process.env.PATH ?? '', NIX_CONFIG: nixConfig, FAKE_GATE_LOG: log } },
    );
    expect(result.failures).toEqual([]);
    expect(result.findings.map((f) => `${f.file}:${f.line} ${f.check}`)).toEqual([
      'hosts/gateway.nix:1 format',
      'hosts/media.nix:1 deadnix',
      'hosts/media.nix:3 statix',
    ]);
    expect(logger.text()).toContain(
      `$ nix run --extra-experimental-features 'nix-command flakes' --inputs-from ${dir} nixpkgs#deadnix -- --output-format json --`,
    );
    expect(await toolCalls(log)).toEqual(['alejandra', 'deadnix', 'statix']);
  });

  it('tools: path-or-nix takes what PATH has and the rest from nixpkgs', async () => {
    const dir = await fleetWithNixpkgs();
    const log = join(await tempDir('log'), 'calls.jsonl');
    const { result, logger } = await gate(
      dir,
      { tools: 'path-or-nix' },
      { env: { PATH: pathWith(await fakeBin(['statix'])), NIX_CONFIG: nixConfig, FAKE_GATE_LOG: log } },
    );
    expect(result.failures).toEqual([]);
    expect(result.checks.map((check) => check.tool)).toEqual(['nixfmt', 'deadnix', 'statix']);
    expect(logger.text()).toMatch(/\$ \S+\/statix check -o json \./);
    expect(logger.text()).toMatch(/nixpkgs#nixfmt -- \S/);
    expect(logger.text()).not.toContain('nixpkgs#nixfmt -- --');
    expect(await toolCalls(log)).toEqual(['deadnix', 'nixfmt', 'statix']);
  });

  it('fails with Nix’s own reason when the flake has no nixpkgs to take a tool from', async () => {
    const dir = await repository({
      'flake.nix': '{\n  outputs = { self }: { inherit self; };\n}\n',
      ...FILES,
    });
    const { result } = await gate(
      dir,
      { tools: 'path-or-nix', checks: 'deadnix' },
      { env: { PATH: process.env.PATH ?? '', NIX_CONFIG: nixConfig } },
    );
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.reason).toMatch(/^nix run nixpkgs#deadnix exited with code 1: error: /);
    expect(result.passed).toBe(false);
  });
});

describeEachVersion(NIX_VERSIONS, 'tools for a pull request come from its base revision', () => {
  it("runs the deadnix the base's flake.lock pins, not the one the pull request's lock chose", async () => {
    // The pull request repins nixpkgs to one whose deadnix passes nothing (it could as well pass everything).
    const chosen = await tempDir('nixpkgs-chosen');
    const { currentSystem } = await import('./support.js');
    await writeTree(chosen, {
      'flake.nix': `{\n  outputs = { self }: {\n    legacyPackages.${currentSystem()}.deadnix = builtins.derivation {\n      name = "deadnix";\n      system = "${currentSystem()}";\n      builder = "/bin/sh";\n      args = [ "-c" "mkdir -p $out/bin; echo '#!/bin/sh' > $out/bin/deadnix; echo 'echo chosen by the pull request >&2; exit 3' >> $out/bin/deadnix; chmod +x $out/bin/deadnix" ];\n      PATH = "/usr/bin:/bin";\n    };\n  };\n}\n`,
    });
    await git(chosen, 'init', '--quiet');
    await git(chosen, 'add', '--all');
    await git(chosen, 'commit', '--quiet', '--message', 'chosen');
    const dir = await fleetWithNixpkgs();
    const base = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await writeTree(dir, {
      'flake.nix': `{\n  inputs.nixpkgs.url = "git+file://${chosen}";\n  outputs = { self, nixpkgs }: { inherit self; };\n}\n`,
    });
    const { nix } = await requireNix();
    await nix.lock(dir, { env: { NIX_CONFIG: nixConfig } });
    await git(dir, 'commit', '--quiet', '--all', '--message', 'repin nixpkgs');

    const run = (eventName: string) =>
      gate(
        dir,
        { tools: 'nix', checks: 'deadnix', files: 'all' },
        {
          env: { PATH: process.env.PATH ?? '', NIX_CONFIG: nixConfig },
          context: { eventName, event: { pull_request: { number: 5, base: { sha: base } } } },
        },
      );
    const pullRequest = await run('pull_request');
    expect(pullRequest.result.failures).toEqual([]);
    expect(pullRequest.result.findings.map((f) => `${f.file}:${f.line} ${f.check}`)).toEqual([
      'hosts/media.nix:1 deadnix',
    ]);
    expect(pullRequest.logger.text()).toMatch(
      /--inputs-from \S+\/flakeflow-base-nixpkgs-\w+ nixpkgs#deadnix/,
    );
    // Outside a pull request the checked-out lock is the fleet's own, and its deadnix runs.
    const push = await run('push');
    expect(push.result.failures.map((failure) => failure.reason)).toEqual([
      'nix run nixpkgs#deadnix exited with code 3: chosen by the pull request',
    ]);
  });
});

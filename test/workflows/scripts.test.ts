import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REUSABLE, readWorkflow } from './support.js';

/** Every `run:` script of the reusable workflows whose step name starts with `name`. */
function scripts(name: string): string[] {
  return REUSABLE.flatMap((file) =>
    Object.values(readWorkflow(`.github/workflows/${file}`).jobs as Record<string, { steps?: unknown[] }>)
      .flatMap((job) => (job.steps ?? []) as Array<{ name?: string; run?: string }>)
      .filter((step) => String(step.name ?? '').startsWith(name) && typeof step.run === 'string')
      .map((step) => step.run as string),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'flakeflow-workflows-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

/** Runs a step script as the runner would (bash, GITHUB_OUTPUT and GITHUB_ENV files), with `env` only. */
function runStep(script: string, env: Record<string, string>) {
  runs += 1;
  const files = {
    GITHUB_OUTPUT: join(dir, `output-${runs}`),
    GITHUB_ENV: join(dir, `env-${runs}`),
    RUNNER_TEMP: join(dir, `temp-${runs}`),
  };
  mkdirSync(files.RUNNER_TEMP);
  writeFileSync(files.GITHUB_OUTPUT, '');
  writeFileSync(files.GITHUB_ENV, '');
  const run = spawnSync('/bin/bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    env: { ...files, ...env },
    encoding: 'utf8',
  });
  return {
    exitCode: run.status,
    stdout: run.stdout,
    output: readFileSync(files.GITHUB_OUTPUT, 'utf8'),
    exported: readFileSync(files.GITHUB_ENV, 'utf8'),
    temp: files.RUNNER_TEMP,
  };
}

/** `NAME<<DELIM\nvalue\nDELIM` entries of a GITHUB_ENV file. */
function exportedValues(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const pattern = /^([A-Za-z_][A-Za-z0-9_]*)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of file.matchAll(pattern)) values[match[1] as string] = match[3] as string;
  return values;
}

describe('Look for Nix', () => {
  const copies = scripts('Look for Nix');
  const script = copies[0] as string;
  const withNix = join(dir, 'with-nix');
  mkdirSync(withNix);
  writeFileSync(join(withNix, 'nix'), '#!/bin/sh\necho "nix (Nix) 2.18.1"\n');
  chmodSync(join(withNix, 'nix'), 0o755);
  const withoutNix = join(dir, 'without-nix');
  mkdirSync(withoutNix);

  it('is the same script in every job', () => {
    expect(copies.length).toBeGreaterThanOrEqual(6);
    expect(new Set(copies).size).toBe(1);
  });

  it('finds the Nix a self-hosted runner already has, so nothing is installed', () => {
    const result = runStep(script, { PATH: withNix, NIX_INSTALLER: 'cachix' });
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe('found=true\n');
    expect(result.stdout).toContain('Using nix (Nix) 2.18.1');
  });

  it('lets the installer run where Nix is missing', () => {
    for (const installer of ['cachix', 'determinate']) {
      const result = runStep(script, { PATH: withoutNix, NIX_INSTALLER: installer });
      expect(result.exitCode).toBe(0);
      expect(result.output).toBe('found=false\n');
    }
  });

  it('fails in one line when Nix is missing and nothing may install it', () => {
    const result = runStep(script, { PATH: withoutNix, NIX_INSTALLER: 'none' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout.trim()).toBe(
      "::error title=Nix is missing::nix is not on this runner's PATH and nix-installer is none",
    );
  });

  it('names the input when the installer is unknown', () => {
    const result = runStep(script, { PATH: withNix, NIX_INSTALLER: 'brew' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Input 'nix-installer' must be cachix, determinate or none, got 'brew'");
  });
});

describe('Use the binary caches', () => {
  const copies = scripts('Use the binary caches');
  const script = copies[0] as string;
  const PATH = process.env.PATH ?? '';

  it('is the same script in every job', () => {
    expect(copies).toHaveLength(2);
    expect(new Set(copies).size).toBe(1);
  });

  it('adds trusted caches to NIX_CONFIG, keeping what was there', () => {
    const result = runStep(script, {
      PATH,
      NIX_CONFIG: 'max-jobs = 4',
      CACHE_URLS: 'https://cache.example.org https://attic.lan:8080/fleet',
      CACHE_PUBLIC_KEYS: 'cache.example.org-1:AbC= fleet:XyZ=',
    });
    expect(result.exitCode).toBe(0);
    expect(exportedValues(result.exported)).toEqual({
      NIX_CONFIG: [
        'max-jobs = 4',
        'extra-substituters = https://cache.example.org https://attic.lan:8080/fleet',
        'extra-trusted-public-keys = cache.example.org-1:AbC= fleet:XyZ=',
      ].join('\n'),
    });
  });

  it('never puts a token or a netrc where every later step would read it', () => {
    expect(script).not.toMatch(/CACHE_TOKEN|netrc-file/);
    const result = runStep(script, {
      PATH,
      CACHE_URLS: 'https://attic.lan:8080/fleet',
      CACHE_PUBLIC_KEYS: 'fleet:XyZ=',
      CACHE_TOKEN: 'eyJhbGciOi.secret-token',
    });
    expect(result.exitCode).toBe(0);
    expect(result.exported).not.toContain('secret-token');
    expect(result.exported).not.toContain('netrc');
  });
});

describe('Export the cache credentials (flake-checks)', () => {
  const copies = scripts('Export the cache credentials');
  const script = copies[0] as string;
  const PATH = process.env.PATH ?? '';

  it('is the same script in the hosts and build jobs', () => {
    expect(copies).toHaveLength(2);
    expect(new Set(copies).size).toBe(1);
  });

  it('exports each NAME=value line, masked', () => {
    const secret = ['# Attic and S3', 'ATTIC_TOKEN=at=tok', 'AWS_SECRET_ACCESS_KEY=abc/def+'].join('\n');
    const result = runStep(script, { PATH, CACHE_ENV: secret });
    expect(result.exitCode).toBe(0);
    expect(exportedValues(result.exported)).toEqual({
      ATTIC_TOKEN: 'at=tok',
      AWS_SECRET_ACCESS_KEY: 'abc/def+',
    });
    expect(result.stdout).toContain('::add-mask::at=tok');
    expect(result.stdout).toContain(
      'Exported for the hosts and build steps: ATTIC_TOKEN AWS_SECRET_ACCESS_KEY',
    );
  });

  it('refuses a variable Nix or the runner needs, without printing the line', () => {
    const result = runStep(script, { PATH, CACHE_ENV: 'NIX_CONFIG=substituters = https://evil' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '::error title=cache-env::Line 1 of the cache-env secret sets NIX_CONFIG',
    );
    expect(result.stdout).not.toContain('evil');
    expect(result.exported).toBe('');
  });
});

describe('Export the repository credentials (backup-verify)', () => {
  const [script] = scripts('Export the repository credentials') as [string];
  const PATH = process.env.PATH ?? '';

  it('exports each NAME=value line, masked, values verbatim', () => {
    const secret = [
      '# the NAS',
      'NAS_PASSWORD=p@ss=word with spaces\r',
      '',
      'AWS_SECRET_ACCESS_KEY=abc/def+',
    ].join('\n');
    const result = runStep(script, { PATH, RESTIC_ENV: secret });
    expect(result.exitCode).toBe(0);
    expect(exportedValues(result.exported)).toEqual({
      NAS_PASSWORD: 'p@ss=word with spaces',
      AWS_SECRET_ACCESS_KEY: 'abc/def+',
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      '::add-mask::p@ss=word with spaces',
      '::add-mask::abc/def+',
      'Exported for the verification: NAS_PASSWORD AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it('refuses a malformed line without printing it', () => {
    const result = runStep(script, { PATH, RESTIC_ENV: 'NAS_PASSWORD=ok\nhunter2' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '::error title=restic-env::Line 2 of the restic-env secret must be NAME=value',
    );
    expect(result.stdout).not.toContain('hunter2');
  });

  it('refuses variables the runner itself needs', () => {
    for (const name of ['PATH', 'LD_PRELOAD', 'GITHUB_TOKEN', 'NODE_OPTIONS']) {
      const result = runStep(script, { PATH, RESTIC_ENV: `${name}=x` });
      expect(result.exitCode, name).toBe(1);
      expect(result.stdout).toContain(`sets ${name}, which the runner needs`);
    }
  });

  it('does nothing without the secret', () => {
    const result = runStep(script, { PATH, RESTIC_ENV: '' });
    expect(result.exitCode).toBe(0);
    expect(result.exported).toBe('');
  });
});

describe('Keep the flakeflow checkout out of the fleet files (gate)', () => {
  const [script] = scripts('Keep the flakeflow checkout out') as [string];

  it("hides flakeflow's own .nix files from git's listing of the fleet, once however often it runs", () => {
    const fleet = join(dir, 'fleet');
    mkdirSync(join(fleet, '.flakeflow-actions', 'nix'), { recursive: true });
    writeFileSync(join(fleet, 'flake.nix'), '{ }\n');
    writeFileSync(join(fleet, '.flakeflow-actions', 'nix', 'fleet-hosts.nix'), '{ }\n');
    const git = (...args: string[]) =>
      spawnSync('git', args, {
        cwd: fleet,
        encoding: 'utf8',
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
      });
    expect(git('init', '-q').status).toBe(0);
    const listed = () => git('ls-files', '--others', '--exclude-standard').stdout.trim().split('\n');
    expect(listed()).toContain('.flakeflow-actions/nix/fleet-hosts.nix');
    for (let run = 0; run < 2; run += 1) {
      const result = spawnSync('/bin/bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd: fleet,
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
    }
    expect(listed()).toEqual(['flake.nix']);
    const exclude = readFileSync(join(fleet, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((line) => line === '/.flakeflow-actions/')).toHaveLength(1);
  });
});

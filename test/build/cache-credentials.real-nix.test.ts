import { mkdir, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AWS_SDK_VARIABLES } from '../../src/core/child-environment.js';
import { findProgram } from '../../src/core/programs.js';
import { type ExampleFleet, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { type CliRun, jsonOutputs, REPO, runCli } from '../cli/support.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import {
  CACHIX_PUSH_SCRIPT,
  type RecordedStart,
  readStarts,
  writeRecordingProgram,
} from '../support/recording-programs.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

const GATE_FAKES = join(REPO, 'test', 'gate', 'fakes', 'bin');

/** The job's secrets as a workflow's `env:` or aws-actions/configure-aws-credentials leave them. */
const JOB_SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAFLAKEFLOWTEST01',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-Zx81kq0P',
  AWS_SESSION_TOKEN: 'aws-session-Qm27vL5n',
  AWS_REGION: 'eu-west-1',
  CACHIX_AUTH_TOKEN: 'cachix-token-Hy63pW1d',
  DEPLOY_WEBHOOK_SECRET: 'other-secret-Bn40sJ8u',
};

const AWS_NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

function namesIn(start: RecordedStart | undefined): string[] {
  return Object.keys(start?.env ?? {});
}

// The check of issue 23: the AWS variables reach `nix copy` of an s3:// push-to and no linter;
// push-command runs cachix with the system's path and only the variable push-env names.
describeEachVersion(NIX_VERSIONS, 'which child gets the job’s cache credentials', () => {
  let tempDir: string;
  let fleet: ExampleFleet;
  let bin: string;
  let log: string;
  const inFleet = (args: string[]): Promise<CliRun> =>
    runCli(args, {
      cwd: fleet.flakeDir,
      env: { ...JOB_SECRETS, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
      timeoutMs: 240_000,
    });
  const printed = (run: CliRun) => `${run.stdout}\n${run.stderr}`;
  const buildGateway = (...more: string[]) => inFleet(['build', '--host', 'gateway', ...more]);

  beforeAll(async () => {
    const { runner, nix } = await requireNix();
    tempDir = await makeTempDir('cache-credentials');
    fleet = await materializeExampleFleet(join(tempDir, 'fleet'), { runner, nix });
    bin = join(tempDir, 'bin');
    await mkdir(bin);
    log = join(tempDir, 'starts.jsonl');
    const realNix = findProgram('nix', process.env.PATH);
    if (!realNix) throw new Error('nix is not on PATH');
    // Debian's Nix has no S3 store (not linked with the AWS SDK): the stand-in records the copy to
    // s3:// and answers for it; every other call is the real Nix.
    await writeRecordingProgram(bin, 'nix', log, {
      script: `
if (args[0] === 'copy' && args.some((arg) => arg.startsWith('s3://'))) process.exit(0);
const run = spawnSync(${JSON.stringify(realNix)}, args, { stdio: 'inherit' });
process.exit(run.status ?? 1);`,
    });
    for (const linter of ['deadnix', 'statix']) {
      await writeRecordingProgram(bin, linter, log, { exec: join(GATE_FAKES, linter) });
    }
    await writeRecordingProgram(bin, 'cachix', log, { script: CACHIX_PUSH_SCRIPT });
  });
  afterAll(() => removeTempDir(tempDir));

  it('gives the AWS variables to the nix copy of an s3:// push-to, and nothing else of the job', async () => {
    const before = (await readStarts(log)).length;
    const run = await buildGateway('--push-to', 's3://fleet-cache?region=eu-west-1');
    expect(run.exitCode, run.stderr).toBe(0);
    const starts = (await readStarts(log)).slice(before);
    const copy = starts.find((start) => start.program === 'nix' && start.args[0] === 'copy');
    expect(copy?.args).toContain('s3://fleet-cache?region=eu-west-1');
    for (const name of AWS_NAMES) expect(copy?.env[name]).toBe(JOB_SECRETS[name]);
    expect(copy?.env.AWS_REGION).toBe('eu-west-1');
    expect(namesIn(copy)).not.toContain('CACHIX_AUTH_TOKEN');
    expect(namesIn(copy)).not.toContain('DEPLOY_WEBHOOK_SECRET');
    expect(namesIn(copy).filter((name) => name.startsWith('INPUT_'))).toEqual([]);
    // Every Nix process may substitute, so each gets them: the build too.
    const build = starts.find((start) => start.program === 'nix' && start.args[0] === 'build');
    expect(build?.env.AWS_SECRET_ACCESS_KEY).toBe(JOB_SECRETS.AWS_SECRET_ACCESS_KEY);
    for (const secret of Object.values(JOB_SECRETS).filter((value) => value !== 'eu-west-1')) {
      expect(printed(run)).not.toContain(secret);
    }
  });

  it('never shows the gate’s linters the AWS variables or CACHIX_AUTH_TOKEN', async () => {
    const before = (await readStarts(log)).length;
    const run = await inFleet(['gate', '--tools', 'path', '--checks', 'deadnix,statix', '--json']);
    expect(jsonOutputs(run)).toHaveProperty('passed');
    const linters = (await readStarts(log))
      .slice(before)
      .filter((start) => start.program === 'deadnix' || start.program === 'statix');
    expect(linters.map((start) => start.program).sort()).toEqual(['deadnix', 'statix']);
    for (const linter of linters) {
      expect(
        namesIn(linter).filter((name) => name.startsWith('AWS_') || name === 'CACHIX_AUTH_TOKEN'),
      ).toEqual([]);
      expect(namesIn(linter)).not.toContain('DEPLOY_WEBHOOK_SECRET');
    }
  });

  it('runs push-command with the system’s path and only the variable push-env names', async () => {
    const before = (await readStarts(log)).length;
    const run = await buildGateway(
      '--push-command',
      'cachix push homelab',
      '--push-env',
      'CACHIX_AUTH_TOKEN',
      '--json',
      '--summary',
      join(tempDir, 'pushed.md'),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const outPath = jsonOutputs(run)['out-path'] as string;
    expect(outPath).toMatch(/-nixos-system-gateway-24\.11$/);
    const cachix = (await readStarts(log)).slice(before).filter((start) => start.program === 'cachix');
    expect(cachix).toHaveLength(1);
    expect(cachix[0]?.args).toEqual(['push', 'homelab', outPath]);
    expect(cachix[0]?.env.CACHIX_AUTH_TOKEN).toBe(JOB_SECRETS.CACHIX_AUTH_TOKEN);
    const unwanted = [
      ...AWS_SDK_VARIABLES,
      'DEPLOY_WEBHOOK_SECRET',
      'NIX_USER_CONF_FILES',
      'GIT_SSH_COMMAND',
    ];
    expect(namesIn(cachix[0]).filter((name) => unwanted.includes(name) || name.startsWith('INPUT_'))).toEqual(
      [],
    );
    const summary = await readFile(join(tempDir, 'pushed.md'), 'utf8');
    expect(summary).toContain('Pushed with `cachix push homelab`');
    expect(`${printed(run)}\n${summary}`).not.toContain(JOB_SECRETS.CACHIX_AUTH_TOKEN);
  });

  it('reports a push-command that fails like a failed push-to: the host built, the push did not', async () => {
    const run = await buildGateway('--push-command', 'cachix push homelab', '--json');
    expect(run.exitCode).toBe(1);
    expect(jsonOutputs(run)['out-path']).toMatch(/-nixos-system-gateway-24\.11$/);
    expect(run.stderr).toMatch(/pushing to cachix push homelab failed: cachix exited with code 1/);
  });
});

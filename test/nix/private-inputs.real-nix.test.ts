/**
 * A fleet whose two hosts read the input `secrets` over git+ssh from the tests' own sshd, which
 * serves it to one key only; the input's source is in no store and no fetcher cache before each run.
 * Every command is the built CLI (`node dist/cli/index.js`), as a user runs it, on Nix 2.8 and 2.26.
 */
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { commitAll, initRepository } from '../../src/demo/git-repo.js';
import { type CliRun, errorLines, jsonOutputs, runCli } from '../cli/support.js';
import { FAKES_DIR, generateKeyPair } from '../deploy/support.js';
import { FAKES } from '../gate/support.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';
import { type PrivateInputFleet, privateInputFleet } from '../support/private-input.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

const TOKEN = 'ghp_flakeflowTestToken0123456789';

describeEachVersion(NIX_VERSIONS, 'a fleet with a private git+ssh input', () => {
  let dir: string;
  let fleet: PrivateInputFleet;
  let keyFile: string;
  let knownHostsFile: string;

  beforeAll(async () => {
    dir = await makeTempDir('private-inputs');
    fleet = await privateInputFleet(join(dir, 'lab'));
    keyFile = fleet.privateKeyFile;
    knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `${fleet.knownHosts}\n`);
  });
  afterAll(async () => {
    await fleet?.stop();
    await removeTempDir(dir);
  });

  /** The CLI in the fleet, with a Nix whose HOME and fetcher cache are new. */
  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return runCli(args, { cwd: fleet.flakeDir, env: { ...(await fleet.nixEnv(args[0] ?? 'cli')), ...env } });
  }
  const access = () => ['--inputs-ssh-key', keyFile, '--inputs-known-hosts', knownHostsFile];
  /** After a run that fetched the input: out of the store again for the next. */
  const forget = () => fleet.forget();

  it('hosts without a key fails with one line naming the input secrets, its URL and why', async () => {
    const run = await cli(['hosts']);
    expect(run.exitCode).toBe(1);
    const url = fleet.url.replace(/\?ref=main$/, '');
    expect(errorLines(run)).toEqual([
      `error: The flake's input 'secrets' (${url}) could not be fetched: Host key verification failed: ` +
        "the host is unknown here: set 'inputs-ssh-key', and 'inputs-known-hosts' for a host other than " +
        'github.com, gitlab.com or codeberg.org',
    ]);
  });

  /** The one line a run that could not fetch `secrets` without a key fails with, as hosts says it. */
  const withoutKeyLine = () =>
    `error: The flake's input 'secrets' (${fleet.url.replace(/\?ref=main$/, '')}) could not be fetched: ` +
    "Host key verification failed: the host is unknown here: set 'inputs-ssh-key', and " +
    "'inputs-known-hosts' for a host other than github.com, gitlab.com or codeberg.org";

  /** A deploy whose nodes' host keys are pinned (by a file no node matches: none is reached). */
  const deployArgs = (...args: string[]) => ['deploy', '--apply', '--known-hosts', knownHostsFile, ...args];

  it.each([
    ['the switch engine', ['--engine', 'switch']],
    // Reading deploy.nodes needs no input; the profiles' paths, read before deploy-rs runs, do.
    ['deploy-rs', ['--engine', 'deploy-rs']],
  ])('deploy with %s without a key fails before any node with the same line', async (_, engine) => {
    const run = await cli(deployArgs(...engine), { PATH: `${FAKES_DIR}:${process.env.PATH}` });
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([withoutKeyLine()]);
    expect(run.stdout + run.stderr).not.toMatch(/▶ n[12]: deploying/);
  });

  it('deploy-rs with a key the repository refuses: fetching the inputs for deploy-rs names the input', async () => {
    const other = await generateKeyPair(
      new SpawnProcessRunner(new RecordingLogger()),
      join(dir, `deploy-rs-key-${Date.now()}`),
    );
    const run = await cli(
      [
        ...deployArgs('--engine', 'deploy-rs'),
        '--inputs-ssh-key',
        other.privateKeyFile,
        '--inputs-known-hosts',
        knownHostsFile,
      ],
      { PATH: `${FAKES_DIR}:${process.env.PATH}` },
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("Fetching the flake's inputs for deploy-rs");
    const lines = errorLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("input 'secrets' (git+ssh://");
    expect(lines[0]).toContain("Permission denied (publickey): the key of 'inputs-ssh-key' was refused");
    expect(run.stdout + run.stderr).not.toContain(other.privateKey.split('\n')[1] as string);
  });

  it('deploy without --apply, planning from deploy.nodes kept in the input, names it without a key', async () => {
    const flakeDir = join(dir, 'private-nodes');
    await mkdir(flakeDir, { recursive: true });
    await writeFile(
      join(flakeDir, 'flake.nix'),
      `{\n  inputs.secrets = { url = "${fleet.url}"; flake = false; };\n` +
        `  outputs = { secrets, ... }: { deploy.nodes = import "\${secrets}/nodes.nix"; };\n}\n`,
    );
    await copyFile(join(fleet.flakeDir, 'flake.lock'), join(flakeDir, 'flake.lock'));
    const git = new SpawnProcessRunner(new RecordingLogger());
    await initRepository(git, flakeDir);
    await commitAll(git, flakeDir, 'deploy-rs nodes from the private input');
    const plan = (args: string[]) =>
      fleet.nixEnv('deploy-plan').then((env) => runCli(['deploy', ...args], { cwd: flakeDir, env }));

    const refused = await plan([]);
    expect(refused.exitCode).toBe(1);
    expect(errorLines(refused)).toEqual([withoutKeyLine()]);

    try {
      const planned = await plan(['--json', ...access()]);
      expect(planned.exitCode, planned.stderr).toBe(0);
      expect(jsonOutputs(planned).result).toEqual([expect.objectContaining({ node: 'n1' })]);
    } finally {
      await forget();
    }
  });

  it('backup-verify reading the backup jobs of flake-host without a key fails with the same line', async () => {
    const run = await cli(['backup-verify', '--flake-host', 'n1']);
    expect(run.exitCode).toBe(1);
    expect(errorLines(run)).toEqual([withoutKeyLine()]);
  });

  it('hosts with --inputs-ssh-key (a key file) and --inputs-known-hosts lists both hosts', async () => {
    const run = await cli(['hosts', '--json', ...access()]);
    expect(run.exitCode, run.stderr).toBe(0);
    const hosts = jsonOutputs(run).hosts as { host: string; status: string }[];
    expect(hosts.map((host) => [host.host, host.status])).toEqual([
      ['n1', 'build'],
      ['n2', 'build'],
    ]);
    // The key's path on the command line is no secret: only a key's text would be warned about.
    expect(run.stderr).not.toContain('visible to other users');
    await forget();
  });

  it('build fetches the input with the key given in FLAKEFLOW_INPUTS_SSH_KEY and builds the host', async () => {
    const run = await cli(['build', '--host', 'n1', '--json', '--inputs-known-hosts', knownHostsFile], {
      FLAKEFLOW_INPUTS_SSH_KEY: fleet.privateKey,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const outPath = String(jsonOutputs(run)['out-path']);
    // The host's output is its configuration as JSON: the motd read from the private input among it.
    expect(await readFile(outPath, 'utf8')).toMatch(/welcome [0-9a-f]{24}/);
    expect(run.stdout + run.stderr).not.toContain('BEGIN OPENSSH PRIVATE KEY');
    await forget();
  });

  it('lock-update moves the input to the commit just pushed, and verifies the hosts with it', async () => {
    const before = await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8');
    const rev = await fleet.advance();
    const run = await cli(['lock-update', '--json', ...access()]);
    expect(run.exitCode, run.stderr).toBe(0);
    const outputs = jsonOutputs(run);
    expect(outputs.changed).toBe('true');
    expect((outputs['updated-inputs'] as { input: string }[]).map((input) => input.input)).toEqual([
      'secrets',
    ]);
    expect(String(outputs.body)).toContain(rev.slice(0, 7));
    // A local lock-update is a dry run: the lock file is as it was.
    expect(await readFile(join(fleet.flakeDir, 'flake.lock'), 'utf8')).toBe(before);
    await forget();
  });

  it.each([
    ['build', ['build', '--host', 'n1']],
    ['lock-update', ['lock-update']],
  ])('%s without a key names the input it could not fetch', async (_, args) => {
    const run = await cli(args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /error: .*input 'secrets' \(git\+ssh:\/\/[^)]*\) could not be fetched: Host key verification failed/,
    );
  });

  it.each([
    ['another key', 'wrong-key', "Permission denied (publickey): the key of 'inputs-ssh-key' was refused"],
    ['the published host keys only', 'default-hosts', 'No ED25519 host key is known for [127.0.0.1]:'],
    ['a known_hosts line of another key', 'wrong-host', 'Host key for [127.0.0.1]:'],
  ])('refuses the fetch with %s, saying so in one line', async (_, refusal, reason) => {
    const args = ['hosts'];
    if (refusal === 'wrong-key') {
      const other = await generateKeyPair(
        new SpawnProcessRunner(new RecordingLogger()),
        join(dir, `other-${Date.now()}`),
      );
      args.push('--inputs-ssh-key', other.privateKeyFile, '--inputs-known-hosts', knownHostsFile);
    } else if (refusal === 'default-hosts') {
      args.push('--inputs-ssh-key', keyFile);
    } else {
      const wrong = join(dir, 'wrong_known_hosts');
      await writeFile(wrong, `${fleet.sshd.wrongKnownHosts}\n`);
      args.push('--inputs-ssh-key', keyFile, '--inputs-known-hosts', wrong);
    }
    const run = await cli(args);
    expect(run.exitCode).toBe(1);
    const lines = errorLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("input 'secrets' (git+ssh://");
    expect(lines[0]).toContain(reason);
  });

  it('names a repository that is gone', async () => {
    const moved = `${fleet.repository}.moved`;
    await rename(fleet.repository, moved);
    try {
      const run = await cli(['hosts', ...access()]);
      expect(run.exitCode).toBe(1);
      expect(errorLines(run)).toEqual([
        expect.stringMatching(
          /input 'secrets' .*: '[^']*secrets\.git' does not appear to be a git repository$/,
        ),
      ]);
    } finally {
      await rename(moved, fleet.repository);
    }
  });

  it("gate's flake check cannot build the check that reads the input without the key", async () => {
    const run = await cli(['gate', '--checks', 'flake-check']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/flake-check +The flake's input 'secrets' \(git\+ssh:\/\//);
  });

  it("gate's flake check fetches the input, while deadnix and the formatter see no key, no way to it, no token", async () => {
    const records = fleet.recordsDir;
    const bin = join(dir, 'recording-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, 'deadnix'),
      `#!/bin/sh\n/usr/bin/env -0 > '${records}/deadnix.env'\nexec '${join(FAKES, 'bin', 'deadnix')}' "$@"\n`,
      { mode: 0o755 },
    );
    const run = await cli(
      [
        'gate',
        '--keep-temp',
        '--checks',
        'deadnix,format,flake-check',
        '--formatter',
        'nix-fmt',
        ...access(),
        '--nix-access-tokens',
        `github.com=${TOKEN}`,
      ],
      { PATH: `${bin}:${process.env.PATH}` },
    );
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain(
      'no findings in 2 .nix files (format (nix fmt (record-formatter)), deadnix, flake-check',
    );
    const recorded = (await readdir(records)).filter((name) => name.endsWith('.env')).sort();
    expect(recorded).toEqual(['deadnix.env', 'formatter.env']);
    const key = fleet.privateKey.split('\n')[1] as string;
    for (const file of recorded) {
      const env = Object.fromEntries(
        (await readFile(join(records, file), 'utf8'))
          .split('\0')
          .filter(Boolean)
          .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
      );
      expect(Object.keys(env), file).not.toContain('GIT_SSH_COMMAND');
      expect(Object.keys(env), file).not.toContain('NIX_USER_CONF_FILES');
      const values = Object.values(env).join('\n');
      for (const secret of [TOKEN, key, 'flakeflow-nix-access-', keyFile])
        expect(values, file).not.toContain(secret);
    }
    await forget();
  });
});

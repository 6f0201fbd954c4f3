import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import {
  type ProcessResult,
  type ProcessRunner,
  type RunOptions,
  SpawnProcessRunner,
} from '../../src/core/process.js';
import { type DeployEnvironment, type DeploySettings, deployFleet } from '../../src/deploy/deploy-fleet.js';
import { deployInputs } from '../../src/deploy/inputs.js';
import { NixCli } from '../../src/nix/cli.js';

export const FAKES_DIR = resolve(import.meta.dirname, 'fakes');

/** A host key line to pin; the fake deploy never connects, so any valid-looking key will do. */
export const KNOWN_HOSTS =
  'media.home.arpa ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7xamWNvvc4IYTyrX2AEfS0Xi3taG9uaFoU8lmp+1xL';

export type FakeMode = 'ok' | 'fail' | 'rollback' | 'timeout' | 'rollback-exit-0' | 'hang';

/** What test/deploy/fakes/fake-deploy.mjs reads from FAKE_DEPLOY_SCRIPT. */
export interface FakeDeployScript {
  latencyMs?: number;
  style?: 'plain' | 'ansi' | 'old';
  nodes?: Record<string, { mode?: FakeMode; latencyMs?: number }>;
}

export interface Invocation {
  pid: number;
  nodes: string[];
  argv: string[];
  start: number;
  end?: number;
  exitCode?: number;
  /** Octal permissions of the `-i` key file while deploy-rs ran, or 'missing'. */
  keyMode?: string;
}

export interface FakeDeploy {
  /** Environment that puts the fake `deploy` first on PATH. */
  env: Record<string, string>;
  /** The fake `deploy`, which knows its script without any variable (flakeflow passes none on). */
  command: string;
  invocations(): Promise<Invocation[]>;
}

export async function fakeDeploy(dir: string, script: FakeDeployScript): Promise<FakeDeploy> {
  await mkdir(dir, { recursive: true });
  const log = join(dir, 'invocations.jsonl');
  const scriptFile = join(dir, 'script.json');
  await writeFile(scriptFile, JSON.stringify({ ...script, log }));
  await writeFile(log, '');
  const bin = join(dir, 'bin');
  const command = join(bin, 'deploy');
  await mkdir(bin, { recursive: true });
  await writeFile(
    command,
    `#!/bin/sh\nFAKE_DEPLOY_SCRIPT='${scriptFile}' exec '${process.execPath}' '${join(FAKES_DIR, 'fake-deploy.mjs')}' "$@"\n`,
    { mode: 0o755 },
  );
  return {
    command,
    env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    invocations: () => readInvocations(log),
  };
}

async function readInvocations(log: string): Promise<Invocation[]> {
  const byPid = new Map<number, Invocation>();
  for (const line of (await readFile(log, 'utf8')).split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as {
      pid: number;
      event: string;
      at: number;
      argv?: string[];
      nodes: string[];
      exitCode?: number;
      keyMode?: string;
    };
    if (event.event === 'start') {
      byPid.set(event.pid, {
        pid: event.pid,
        nodes: event.nodes,
        argv: event.argv ?? [],
        start: event.at,
        ...(event.keyMode === undefined ? {} : { keyMode: event.keyMode }),
      });
    } else {
      const invocation = byPid.get(event.pid);
      if (invocation) Object.assign(invocation, { end: event.at, exitCode: event.exitCode });
    }
  }
  return [...byPid.values()].sort((a, b) => a.start - b.start);
}

/** The most deploy-rs processes that were running at the same moment. */
export function maxConcurrency(invocations: readonly Invocation[]): number {
  const edges = invocations.flatMap((run) => [
    { at: run.start, delta: 1 },
    { at: run.end ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.delta;
    most = Math.max(most, running);
  }
  return most;
}

export interface FleetNode {
  name: string;
  tags?: string[];
  wave?: number;
  hostname?: string;
  sshUser?: string;
  sshOpts?: string[];
}

/** A flake with only `deploy.nodes`: enough for flakeflow, which never evaluates a profile's path. */
export async function writeFleet(dir: string, nodes: readonly FleetNode[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const list = (items: readonly string[]) => `[ ${items.map((item) => JSON.stringify(item)).join(' ')} ]`;
  const entries = nodes.map((node) =>
    [
      `    ${JSON.stringify(node.name)} = {`,
      `      hostname = ${JSON.stringify(node.hostname ?? `${node.name}.home.arpa`)};`,
      `      sshUser = ${JSON.stringify(node.sshUser ?? 'deploy')};`,
      ...(node.tags ? [`      tags = ${list(node.tags)};`] : []),
      ...(node.wave === undefined ? [] : [`      wave = ${node.wave};`]),
      ...(node.sshOpts ? [`      sshOpts = ${list(node.sshOpts)};`] : []),
      '      profiles.system = { user = "root"; path = throw "flakeflow must not evaluate profile paths"; };',
      '    };',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'flake.nix'),
    `{\n  outputs = { self }: {\n  deploy.nodes = {\n${entries.join('\n')}\n  };\n  };\n}\n`,
  );
  return dir;
}

/** Settings parsed from raw inputs exactly as the runner would pass them. */
export function deploySettings(inputs: Record<string, string>): DeploySettings {
  return parseInputs(deployInputs, (name) => inputs[name]);
}

/** Adds variables to every process the code under test starts. */
export class EnvRunner implements ProcessRunner {
  constructor(
    private readonly inner: ProcessRunner,
    private readonly env: Record<string, string>,
  ) {}
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    return this.inner.run(command, args, { ...options, env: { ...this.env, ...options.env } });
  }
}

export interface InProcessRun {
  logger: RecordingLogger;
  cleaned: string[];
  environment: DeployEnvironment;
}

/** The capability's environment for an in-process run: real processes, a recording logger. */
export function inProcessEnvironment(
  workspace: string,
  runnerTemp: string,
  env: Record<string, string>,
  overrides: Partial<DeployEnvironment> = {},
): InProcessRun {
  const logger = new RecordingLogger();
  const runner = new EnvRunner(new SpawnProcessRunner(logger), env);
  const cleaned: string[] = [];
  return {
    logger,
    cleaned,
    environment: {
      context: { workspace, runnerTemp, eventName: 'workflow_dispatch' },
      logger,
      runner,
      nix: new NixCli(runner),
      cleanup: { add: (path) => cleaned.push(path) },
      signal: new AbortController().signal,
      healthRetryDelayMs: 50,
      ...overrides,
    },
  };
}

export function runDeploy(inputs: Record<string, string>, run: InProcessRun) {
  return deployFleet(deploySettings({ 'known-hosts': KNOWN_HOSTS, ...inputs }), run.environment);
}

export interface KeyPair {
  privateKeyFile: string;
  privateKey: string;
  publicKey: string;
}

/** A throwaway ed25519 key made by the real ssh-keygen. */
export async function generateKeyPair(
  runner: ProcessRunner,
  file: string,
  comment = 'flakeflow-test',
): Promise<KeyPair> {
  const result = await runner.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  if (result.exitCode !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return {
    privateKeyFile: file,
    privateKey: await readFile(file, 'utf8'),
    publicKey: (await readFile(`${file}.pub`, 'utf8')).trim(),
  };
}

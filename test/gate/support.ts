import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { GitHubClient } from '../../src/core/github.js';
import { parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner, succeeded } from '../../src/core/process.js';
import { type GateResult, type GateRunContext, type GateSettings, runGate } from '../../src/gate/gate.js';
import { gateInputs } from '../../src/gate/inputs.js';

export const FAKES = resolve(import.meta.dirname, 'fakes');
export const RECORDED_LINTERS = resolve(import.meta.dirname, '../fixtures/recorded/linters');
export const FAKE_TOOLS = ['deadnix', 'statix', 'alejandra', 'nixfmt', 'treefmt'] as const;
export type FakeTool = (typeof FAKE_TOOLS)[number];

const created: string[] = [];

/** A temp directory with this capability's prefix, removed by `cleanUp`. */
export async function tempDir(purpose: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `flakeflow-gate-${purpose}-`));
  created.push(dir);
  return dir;
}

export async function cleanUp(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A directory holding only the named fakes, to put first on PATH. */
export async function fakeBin(tools: readonly FakeTool[] = FAKE_TOOLS): Promise<string> {
  const dir = await tempDir('bin');
  for (const tool of tools) {
    await chmod(join(FAKES, 'bin', tool), 0o755);
    await symlink(join(FAKES, 'bin', tool), join(dir, tool));
  }
  return dir;
}

export function pathWith(dir: string): string {
  return [dir, process.env.PATH ?? ''].join(delimiter);
}

export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

export async function git(dir: string, ...args: string[]): Promise<string> {
  const result = await new SpawnProcessRunner(new RecordingLogger()).run(
    'git',
    [
      '-c',
      'commit.gpgsign=false',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'protocol.file.allow=always',
      ...args,
    ],
    { cwd: dir },
  );
  if (!succeeded(result)) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A git repository holding `files`, committed once. */
export async function repository(files: Record<string, string>, purpose = 'repo'): Promise<string> {
  const dir = await tempDir(purpose);
  await writeTree(dir, files);
  await git(dir, 'init', '--quiet');
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '--message', 'initial');
  return dir;
}

export function settings(inputs: Record<string, string> = {}): GateSettings {
  return parseInputs(gateInputs, (name) => inputs[name]);
}

export interface GateRun {
  result: GateResult;
  logger: RecordingLogger;
}

export async function gate(
  workspace: string,
  inputs: Record<string, string> = {},
  options: { env?: Record<string, string>; context?: Partial<GateRunContext>; github?: GitHubClient } = {},
): Promise<GateRun> {
  const logger = new RecordingLogger();
  const runnerTemp = await tempDir('runner-temp');
  const result = await runGate(
    settings(inputs),
    {
      workspace,
      runnerTemp,
      eventName: 'push',
      event: {},
      repository: 'octo-org/homelab',
      sha: 'c0ffee0000000000000000000000000000000000',
      serverUrl: 'https://github.com',
      ...options.context,
    },
    {
      runner: new SpawnProcessRunner(logger),
      logger,
      env: { PATH: pathWith(await fakeBin()), ...options.env },
      ...(options.github ? { github: options.github } : {}),
    },
  );
  return { result, logger };
}

/**
 * Every file's content, mode and mtime under `root` (without .git), to prove a run left it as it was.
 * Times compare to the millisecond: Node sets file times no finer than that.
 */
export async function treeState(root: string): Promise<Record<string, string>> {
  const { readdir, readFile, lstat } = await import('node:fs/promises');
  const state: Record<string, string> = {};
  const visit = async (dir: string) => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path);
      else {
        const stats = await lstat(join(root, path));
        state[path] =
          `${stats.mode.toString(8)} ${Math.floor(stats.mtimeMs)} ${await readFile(join(root, path), 'utf8')}`;
      }
    }
  };
  await visit('');
  state['git status'] = await git(root, 'status', '--porcelain', '--untracked-files=all').catch(
    () => 'not a repository',
  );
  return state;
}

/** Nix's name for this machine's system, as flakes key their outputs. */
export function currentSystem(): string {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return `${arch}-${process.platform === 'darwin' ? 'darwin' : 'linux'}`;
}

/** Copies the fakes into `dir/fakes` with a package.json, so Nix can build them into packages. */
export async function copyFakes(dir: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(FAKES, join(dir, 'fakes'), { recursive: true });
  // The fakes print the real tools' recordings: a packaged copy is told where they are, so the
  // corpus does not become part of the tree under test.
  await writeFile(join(dir, 'fakes', 'recorded-linters.path'), RECORDED_LINTERS);
  await writeFile(join(dir, 'fakes', 'package.json'), '{ "type": "module" }\n');
}

/** A Nix expression for a package whose `bin/<tool>` is the fake of that name. */
export function fakePackage(tool: string, name = tool): string {
  return `builtins.derivation {
      name = "${name}";
      system = "${currentSystem()}";
      builder = "/bin/sh";
      args = [ "-c" "mkdir -p $out/bin $out/share && cp -r \${./fakes} $out/share/fakes && ln -s $out/share/fakes/bin/${tool} $out/bin/${tool}" ];
      PATH = "/usr/bin:/bin";
    } // { meta.mainProgram = "${tool}"; }`;
}

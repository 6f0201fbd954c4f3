import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseWorkflowCommand, type WorkflowCommand } from '../../src/core/annotations.js';
import { readKeyValueFile, readPathFile } from './file-commands.js';

export const repositoryRoot = resolve(import.meta.dirname, '..', '..');

interface ActionManifest {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export interface RunActionOptions {
  /** An action under actions/, 'umbrella' for the root action.yml, or a directory holding an action.yml. */
  action: string;
  /** The step's `with:` values. Declared inputs not given get their action.yml default. */
  inputs?: Record<string, string>;
  /** Extra environment, e.g. GITHUB_API_URL of a fake GitHub server. */
  env?: Record<string, string>;
  event?: { name: string; payload?: Record<string, unknown> };
  /** The checkout; a fresh empty directory when absent. */
  workspace?: string;
  /** What `${{ github.token }}` expands to. */
  githubToken?: string;
  /** Sends a signal to the main step after a delay, as the runner does on cancellation. */
  cancel?: { afterMs: number; signal?: NodeJS.Signals };
  timeoutMs?: number;
}

export interface StepRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every workflow command printed, in order. */
  commands: WorkflowCommand[];
  /** Values registered with `::add-mask::`. */
  masks: string[];
  /** The log as the runner shows it: commands consumed, masked values replaced with ***. */
  visibleLog: string;
  annotations: WorkflowCommand[];
}

export interface ActionRun extends StepRun {
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  /** Warnings the runner itself would print, e.g. for unexpected inputs. */
  runnerWarnings: string[];
  post?: StepRun;
  runnerTemp: string;
  workspace: string;
}

const ANNOTATION_COMMANDS = new Set(['error', 'warning', 'notice']);
const HIDDEN_COMMANDS = new Set(['add-mask', 'debug', 'save-state', 'set-output', 'echo', 'stop-commands']);

export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function loadManifest(action: string): Promise<{ manifest: ActionManifest; directory: string }> {
  const directory =
    action === 'umbrella'
      ? repositoryRoot
      : action.includes('/')
        ? action
        : join(repositoryRoot, 'actions', action);
  const manifest = parseYaml(await readFile(join(directory, 'action.yml'), 'utf8')) as ActionManifest;
  return { manifest, directory };
}

/** Every runner directory a test file made; removed once all its tests have looked at them. */
const runnerRoots: string[] = [];
afterAll(async () => {
  await Promise.all(runnerRoots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

function expandDefault(value: string, githubToken: string): string {
  return value.replace(/\$\{\{\s*github\.token\s*\}\}/g, githubToken);
}

/** The environment a hosted runner gives a step, without anything from the test process's GitHub. */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(INPUT_|STATE_|GITHUB_|RUNNER_)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function collectStep(
  stdout: string,
  stderr: string,
  exitCode: number | null,
  signal: NodeJS.Signals | null,
): StepRun {
  const commands: WorkflowCommand[] = [];
  const masks: string[] = [];
  const visible: string[] = [];
  for (const line of `${stdout}\n${stderr}`.split('\n')) {
    const command = parseWorkflowCommand(line);
    if (!command) {
      if (line.length > 0) visible.push(line);
      continue;
    }
    commands.push(command);
    if (command.command === 'add-mask') masks.push(command.message);
    else if (!HIDDEN_COMMANDS.has(command.command)) visible.push(`${command.command}: ${command.message}`);
  }
  const secretValues = masks
    .flatMap((mask) => [mask, ...mask.split(/\r?\n/)])
    .map((value) => value.trim())
    .filter((value) => value.length > 0)
    .sort((a, b) => b.length - a.length);
  const visibleLog = visible.map((line) =>
    secretValues.reduce((text, value) => text.split(value).join('***'), line),
  );
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    commands,
    masks,
    visibleLog: visibleLog.join('\n'),
    annotations: commands.filter((command) => ANNOTATION_COMMANDS.has(command.command)),
  };
}

function runNode(
  script: string,
  env: Record<string, string>,
  cwd: string,
  options: Pick<RunActionOptions, 'cancel' | 'timeoutMs'>,
): Promise<StepRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timers: NodeJS.Timeout[] = [];
    if (options.cancel) {
      const { afterMs, signal = 'SIGTERM' } = options.cancel;
      timers.push(setTimeout(() => child.kill(signal), afterMs));
    }
    timers.push(setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 110_000));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      resolvePromise(
        collectStep(
          Buffer.concat(stdout).toString('utf8'),
          Buffer.concat(stderr).toString('utf8'),
          code,
          signal,
        ),
      );
    });
  });
}

function shouldRunPost(condition: string | undefined, mainSucceeded: boolean): boolean {
  const expression = (condition ?? 'always()').replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (expression === 'always()' || expression === '!cancelled()') return true;
  if (expression === 'failure()') return !mainSucceeded;
  return mainSucceeded;
}

/**
 * Runs a built action bundle exactly as the GitHub runner starts a `node24` action: INPUT_* variables
 * (defaults from action.yml), the file-command files, RUNNER_TEMP, the event payload, then the `post`
 * entry with the state the main step saved.
 */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const { manifest, directory } = await loadManifest(options.action);
  const root = await mkdtemp(join(tmpdir(), 'flakeflow-runner-'));
  runnerRoots.push(root);
  const runnerTemp = join(root, 'temp');
  const commandsDir = join(runnerTemp, '_runner_file_commands');
  const workspace = options.workspace ?? join(root, 'workspace');
  await mkdir(commandsDir, { recursive: true });
  await mkdir(workspace, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(commandsDir, 'set_output'),
    GITHUB_STATE: join(commandsDir, 'save_state'),
    GITHUB_ENV: join(commandsDir, 'set_env'),
    GITHUB_PATH: join(commandsDir, 'add_path'),
    GITHUB_STEP_SUMMARY: join(commandsDir, 'step_summary'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  const eventName = options.event?.name ?? 'workflow_dispatch';
  const eventPath = join(root, 'event.json');
  await writeFile(eventPath, JSON.stringify(options.event?.payload ?? {}));

  const githubToken = options.githubToken ?? '';
  const declared = manifest.inputs ?? {};
  const given = options.inputs ?? {};
  const inputEnv: Record<string, string> = {};
  for (const [name, declaration] of Object.entries(declared)) {
    const value =
      given[name] ??
      (declaration.default !== undefined
        ? expandDefault(String(declaration.default), githubToken)
        : undefined);
    if (value !== undefined) inputEnv[inputVariable(name)] = value;
  }
  const unexpected = Object.keys(given).filter((name) => !(name in declared));
  for (const name of unexpected) inputEnv[inputVariable(name)] = given[name] as string;
  const runnerWarnings =
    unexpected.length > 0
      ? [
          `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`,
        ]
      : [];

  const env: Record<string, string> = {
    ...baseEnvironment(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'octo-org/homelab',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'test',
    GITHUB_ACTION: '__flakeflow',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'flakeflow-harness',
    ...files,
    ...(options.env ?? {}),
    ...inputEnv,
  };

  const main = await runNode(resolve(directory, manifest.runs.main), env, workspace, options);
  const state = await readKeyValueFile(files.GITHUB_STATE);
  const run: ActionRun = {
    ...main,
    outputs: await readKeyValueFile(files.GITHUB_OUTPUT),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    state,
    exportedEnv: await readKeyValueFile(files.GITHUB_ENV),
    addedPath: await readPathFile(files.GITHUB_PATH),
    runnerWarnings,
    runnerTemp,
    workspace,
  };

  if (manifest.runs.post && shouldRunPost(manifest.runs['post-if'], main.exitCode === 0)) {
    const stateEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(state)) stateEnv[`STATE_${name}`] = value;
    for (const file of [files.GITHUB_OUTPUT, files.GITHUB_STATE, files.GITHUB_STEP_SUMMARY])
      await writeFile(file, '');
    run.post = await runNode(resolve(directory, manifest.runs.post), { ...env, ...stateEnv }, workspace, {
      timeoutMs: options.timeoutMs,
    });
  }
  return run;
}

export function errorLines(run: StepRun): string[] {
  return run.commands.filter((command) => command.command === 'error').map((command) => command.message);
}

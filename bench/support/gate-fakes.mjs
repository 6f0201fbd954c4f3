// What the gate benchmarks share: git with a fixed identity, and the fake tools of test/gate/fakes
// on a PATH of their own.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const fakes = join(root, 'test', 'gate', 'fakes', 'bin');

export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@flakeflow.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@flakeflow.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: gitEnv,
    encoding: 'utf8',
  }).trim();

/** A directory holding the named fakes (deadnix, statix, alejandra), to put first on PATH. */
export async function fakeToolsOnPath(tools = ['deadnix', 'statix', 'alejandra']) {
  const dir = await mkdtemp(join(tmpdir(), 'flakeflow-gate-bench-bin-'));
  for (const tool of tools) {
    chmodSync(join(fakes, tool), 0o755);
    await symlink(join(fakes, tool), join(dir, tool));
  }
  return dir;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The gate's inputs in both benchmarks: format (alejandra), deadnix and statix from PATH, never failing. */
export function gateInputs(files) {
  return {
    INPUT_PATH: '.',
    INPUT_CHECKS: 'format,deadnix,statix',
    INPUT_FORMATTER: 'alejandra',
    INPUT_FILES: files,
    INPUT_TOOLS: 'path',
    'INPUT_FAIL-ON': 'never',
    INPUT_ANNOTATIONS: 'true',
    'INPUT_CHECK-RUN': 'false',
    INPUT_SUGGESTIONS: 'false',
    INPUT_TOKEN: '',
  };
}

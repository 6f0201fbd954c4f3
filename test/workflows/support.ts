import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CALLER_FILES } from '../../src/cli/init/callers.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The reusable workflows flakeflow ships (`on: workflow_call`), in `.github/workflows/`. */
export const REUSABLE = [
  'flake-checks.yml',
  'lock-update.yml',
  'deploy.yml',
  'backup-verify.yml',
  'fleet-status.yml',
] as const;
/** The ready-to-copy callers, in `workflows/`: the ones `flakeflow init` writes. */
export const CALLERS = CALLER_FILES;

/** Every workflow file of the repository, relative to its root: the project's CI too. */
export function workflowFiles(): string[] {
  return ['.github/workflows', 'workflows'].flatMap((folder) =>
    readdirSync(join(REPO, folder))
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => `${folder}/${name}`),
  );
}

export function readText(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: a parsed workflow is loose YAML; tests index into it freely
export type Loose = any;

export function readWorkflow(path: string): Loose {
  return parse(readText(path));
}

/** The step of `job` whose name starts with `name`. */
export function stepNamed(job: Loose, name: string): Loose {
  const step = (job.steps as Loose[]).find((candidate) => String(candidate.name ?? '').startsWith(name));
  if (!step) throw new Error(`no step named '${name}…'`);
  return step;
}

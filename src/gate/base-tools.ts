import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckoutGit } from './git.js';
import { ToolUnavailable } from './tool-source.js';

interface LockNode {
  inputs?: Record<string, string | string[]>;
  locked?: Record<string, unknown>;
  original?: Record<string, unknown>;
  flake?: boolean;
}

interface LockFile {
  nodes: Record<string, LockNode>;
  root: string;
  version: number;
}

/** Where the gate takes Nix-provided tools from on a pull request: the base revision's flake.lock. */
export interface BaseRevision {
  /** The pull request's base commit, as the event names it. */
  sha: string;
  /** flake.lock's path from the repository root at that commit. */
  lockPath: string;
  /** Where the small flake naming the base's nixpkgs is written (RUNNER_TEMP). */
  tempDir: string;
}

/**
 * A pull request's own flake.lock could pin a nixpkgs whose deadnix passes everything (or reads what
 * it should not): the tools that judge it come from the nixpkgs its base revision locks instead. This
 * writes a flake of flakeflow's own whose one input is that nixpkgs, locked as the base locks it, for
 * `nix run --inputs-from`. Undefined when the base has no nixpkgs input (Nix's registry then decides,
 * as it does for such a flake anyway).
 */
export async function baseNixpkgsFlake(git: CheckoutGit, base: BaseRevision): Promise<string | undefined> {
  let commit = await git.resolveCommit(base.sha);
  if (!commit) {
    await git.fetchCommit(base.sha);
    commit = await git.resolveCommit(base.sha);
  }
  if (!commit) {
    throw new ToolUnavailable(
      `the pull request's base ${base.sha.slice(0, 12)} is not in the checkout, so its flake.lock cannot name ` +
        'the nixpkgs the tools come from: check out with fetch-depth: 0, or put the tools on PATH',
    );
  }
  const text = await git.fileAt(commit, base.lockPath);
  if (text === undefined) return undefined;
  const lock = JSON.parse(text) as LockFile;
  const key = resolveInput(lock, ['nixpkgs']);
  const node = key === undefined ? undefined : lock.nodes[key];
  if (key === undefined || !node?.original || !node.locked) return undefined;
  const nodes: Record<string, LockNode> = { root: { inputs: { nixpkgs: key } } };
  const copy = (name: string) => {
    if (nodes[name] || !lock.nodes[name]) return;
    nodes[name] = lock.nodes[name] as LockNode;
    for (const target of Object.values(lock.nodes[name]?.inputs ?? {})) {
      if (typeof target === 'string') copy(target);
    }
  };
  copy(key);
  const dir = await mkdtemp(join(base.tempDir, 'flakeflow-base-nixpkgs-'));
  const flake = node.flake === false ? '{ flake = false; } // ' : '';
  await writeFile(
    join(dir, 'flake.nix'),
    `{\n  inputs.nixpkgs = ${flake}${nixAttrs(node.original)};\n  outputs = _: { };\n}\n`,
  );
  await writeFile(
    join(dir, 'flake.lock'),
    `${JSON.stringify({ nodes, root: 'root', version: lock.version })}\n`,
  );
  return dir;
}

/** The node an input path names from the root, following `follows` (a path from the root). */
function resolveInput(lock: LockFile, path: readonly string[], depth = 0): string | undefined {
  if (depth > 32) return undefined;
  let current = lock.root;
  for (const name of path) {
    const target = lock.nodes[current]?.inputs?.[name];
    if (target === undefined) return undefined;
    current = typeof target === 'string' ? target : (resolveInput(lock, target, depth + 1) ?? '');
    if (current === '') return undefined;
  }
  return current;
}

/** A flake reference's attributes as a Nix attribute set. */
function nixAttrs(attrs: Record<string, unknown>): string {
  const entries = Object.entries(attrs).map(([name, value]) => {
    const literal =
      typeof value === 'string'
        ? JSON.stringify(value).replace(/\$\{/g, '\\${')
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(String(value));
    return `${JSON.stringify(name)} = ${literal};`;
  });
  return `{ ${entries.join(' ')} }`;
}

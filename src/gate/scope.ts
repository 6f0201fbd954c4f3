import { lstat, readdir } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CheckoutGit } from './git.js';
import { normalizePath, type PathGlobs } from './globs.js';
import type { FILE_SCOPES } from './inputs.js';

export type FileScopeSetting = (typeof FILE_SCOPES)[number];

/** The .nix files the file-based checks look at. */
export interface FileScope {
  mode: 'all' | 'changed';
  /** Relative to the flake directory, forward slashes, sorted. */
  files: string[];
  /** In `changed` mode: the commit the work tree was compared with, and how it was chosen. */
  base?: { commit: string; from: string };
  /** How many .nix files matched an `exclude` glob and were left out. */
  excluded: number;
}

export interface ScopeRequest {
  setting: FileScopeSetting;
  baseRef?: string;
  eventName: string;
  event: Record<string, unknown>;
  flakeDir: string;
  /** The git work tree holding the flake; undefined when it is not in one. */
  repoRoot?: string;
  exclude: PathGlobs;
}

export const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'merge_group']);
const SKIPPED_DIRECTORIES = new Set(['.git', '.direnv', 'node_modules']);

export async function resolveScope(
  request: ScopeRequest,
  git: CheckoutGit,
  logger: Logger,
): Promise<FileScope> {
  const mode = scopeMode(request);
  const candidates: { files: string[]; base?: { commit: string; from: string } } =
    mode === 'all' ? await allNixFiles(request, git) : await changedNixFiles(request, git, logger);
  const kept = candidates.files.filter((file) => !request.exclude.matches(file));
  return {
    mode,
    files: [...new Set(kept)].sort(),
    ...(candidates.base ? { base: candidates.base } : {}),
    excluded: candidates.files.length - kept.length,
  };
}

function scopeMode(request: ScopeRequest): 'all' | 'changed' {
  if (request.setting !== 'auto') return request.setting;
  return PULL_REQUEST_EVENTS.has(request.eventName) ? 'changed' : 'all';
}

/** The base a pull request (or merge queue entry) event names. */
export function eventBaseSha(event: Record<string, unknown>): string | undefined {
  const pull = event.pull_request as { base?: { sha?: unknown } } | undefined;
  if (typeof pull?.base?.sha === 'string') return pull.base.sha;
  const group = event.merge_group as { base_sha?: unknown } | undefined;
  return typeof group?.base_sha === 'string' ? group.base_sha : undefined;
}

async function allNixFiles(request: ScopeRequest, git: CheckoutGit): Promise<{ files: string[] }> {
  const listed = request.repoRoot ? await git.listFiles(['*.nix']) : undefined;
  if (listed) {
    const present = await Promise.all(
      listed.map(async (file) => ((await isFile(join(request.flakeDir, file))) ? file : '')),
    );
    return { files: present.filter((file) => file.length > 0).map(normalizePath) };
  }
  return { files: await walkFiles(request.flakeDir, (name) => name.endsWith('.nix')) };
}

async function changedNixFiles(
  request: ScopeRequest,
  git: CheckoutGit,
  logger: Logger,
): Promise<{ files: string[]; base: { commit: string; from: string } }> {
  if (!request.repoRoot) {
    throw new UserError(`Input 'files' is changed, but ${request.flakeDir} is not in a git checkout`);
  }
  const base = await diffBase(request, git, logger);
  const prefix = relative(request.repoRoot, request.flakeDir).split(sep).join('/');
  const changed = await git.changedFiles(base.commit, '.');
  const files: string[] = [];
  for (const path of changed) {
    if (!path.endsWith('.nix')) continue;
    const inFlake =
      prefix === '' ? path : path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : undefined;
    if (inFlake === undefined) continue;
    if (await isFile(join(request.flakeDir, inFlake))) files.push(normalizePath(inFlake));
  }
  return { files, base };
}

/**
 * The commit to diff against: where the branch left the base. A shallow CI checkout lacks the base,
 * so it is fetched alone; GitHub's merge commit then names it as a parent, which is enough.
 */
async function diffBase(
  request: ScopeRequest,
  git: CheckoutGit,
  logger: Logger,
): Promise<{ commit: string; from: string }> {
  const eventBase = eventBaseSha(request.event);
  const revision = request.baseRef || eventBase;
  const from = request.baseRef ? `base-ref ${request.baseRef}` : `the ${request.eventName} base`;
  if (!revision) {
    throw new UserError(
      `Input 'files' is changed, but there is nothing to compare with: set base-ref (e.g. origin/main) or run on pull_request`,
    );
  }
  let commit = await git.resolveCommit(revision);
  if (!commit && /^[0-9a-f]{7,64}$/i.test(revision)) {
    const fetched = await git.fetchCommit(revision);
    if (fetched.exitCode !== 0) logger.debug(`git fetch ${revision}: ${fetched.stderr.trim()}`);
    commit = await git.resolveCommit(revision);
  }
  if (!commit) {
    const what = request.baseRef
      ? `Input 'base-ref' names ${revision}, which`
      : `The base commit ${revision}`;
    throw new UserError(
      `${what} is not in the checkout and could not be fetched from origin: check out with fetch-depth: 0`,
    );
  }
  const mergeBase = await git.mergeBase(commit, 'HEAD');
  if (mergeBase) return { commit: mergeBase, from };
  if ((await git.parents('HEAD')).includes(commit)) return { commit, from };
  logger.warning(
    `HEAD and ${commit.slice(0, 12)} share no history in this shallow checkout, so files changed on the base ` +
      'since the branch left it are checked too; check out with fetch-depth: 0 to avoid that',
  );
  return { commit, from };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

/** Outside git: the files under `root` whose name `accept`s, not following symbolic links (`result`). */
export async function walkFiles(
  root: string,
  accept: (name: string) => boolean = () => true,
): Promise<string[]> {
  const files: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true });
    for (const entry of entries) {
      const path = dir === '' ? entry.name : posix.join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) await visit(path);
      else if (entry.isFile() && accept(entry.name)) files.push(path);
    }
  };
  await visit('');
  return files;
}

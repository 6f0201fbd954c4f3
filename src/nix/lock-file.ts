import { z } from 'zod';
import { UserError } from '../core/errors.js';

/**
 * flake.lock as Nix writes it (versions 5 to 7). Nodes are keyed by input name, made unique with
 * `_2`, `_3`… (`nixpkgs_2`), so a key says nothing about where a node sits: only the edges from
 * the root do. An edge is a node key, or a `follows` path of input names starting at the root.
 */
export const SUPPORTED_LOCK_VERSIONS = [5, 6, 7] as const;

const attrs = z.record(z.string(), z.unknown());

const lockNodeShape = z.object({
  inputs: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  locked: attrs.optional(),
  original: attrs.optional(),
  /** Version 5 kept `lastModified` and `narHash` here instead of in `locked`. */
  info: attrs.optional(),
  flake: z.boolean().optional(),
  /** Version 7: the input a relative `path:` input is resolved against. */
  parent: z.array(z.string()).optional(),
});

const lockFileShape = z.object({
  version: z.number().int(),
  root: z.string(),
  nodes: z.record(z.string(), lockNodeShape),
});

/** The fetcher attributes of a node (`type`, `owner`, `repo`, `rev`, `url`, `lastModified`, …). */
export interface SourceAttrs {
  type: string;
  rev?: string;
  ref?: string;
  owner?: string;
  repo?: string;
  host?: string;
  url?: string;
  dir?: string;
  narHash?: string;
  /** Seconds since the epoch of the locked revision's commit (or the tarball's newest file). */
  lastModified?: number;
  [attribute: string]: unknown;
}

export interface LockNode {
  inputs: Record<string, string | string[]>;
  locked?: SourceAttrs;
  original?: SourceAttrs;
  flake: boolean;
}

/** Where an input path leads: a node, or (for an unresolved `follows`) nowhere. */
export type LockEdge = { key: string } | { follows: string[] };

/** An input path, as Nix prints it: `nixpkgs`, `home-manager/nixpkgs`. */
export type InputPath = string;

/** Far above any real fleet; a lock whose shared nodes multiply beyond it is listed this far. */
const MAX_INPUT_PATHS = 100_000;

export function printInputPath(path: readonly string[]): InputPath {
  return path.join('/');
}

function sourceAttrs(value: Record<string, unknown> | undefined, info?: Record<string, unknown>) {
  if (!value) return undefined;
  const merged = { ...value, ...(info ?? {}) };
  if (typeof merged.type !== 'string') return undefined;
  return merged as SourceAttrs;
}

export class FlakeLock {
  private constructor(
    readonly version: number,
    readonly rootKey: string,
    readonly nodes: ReadonlyMap<string, LockNode>,
  ) {}

  /** Parses flake.lock text; `file` names it in errors. */
  static parse(text: string, file = 'flake.lock'): FlakeLock {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new UserError(`${file} is not valid JSON (${(error as Error).message})`);
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && !SUPPORTED_LOCK_VERSIONS.includes(version as 5 | 6 | 7)) {
      throw new UserError(
        `${file} has lock file version ${version}; flakeflow reads versions 5 to 7 (Nix 2.4 and later): ` +
          'relock it with a current Nix',
      );
    }
    const checked = lockFileShape.safeParse(json);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.map(String).join('.')}` : '';
      throw new UserError(`${file} is not a flake lock file: ${issue?.message ?? 'invalid'}${where}`);
    }
    const parsed = checked.data;
    if (!parsed.nodes[parsed.root]) {
      throw new UserError(`${file} names root node '${parsed.root}', which it does not contain`);
    }
    const nodes = new Map<string, LockNode>();
    for (const [key, node] of Object.entries(parsed.nodes)) {
      const locked = sourceAttrs(node.locked, node.info);
      const original = sourceAttrs(node.original);
      nodes.set(key, {
        inputs: node.inputs ?? {},
        ...(locked ? { locked } : {}),
        ...(original ? { original } : {}),
        flake: node.flake ?? true,
      });
    }
    return new FlakeLock(parsed.version, parsed.root, nodes);
  }

  get root(): LockNode {
    return this.nodes.get(this.rootKey) as LockNode;
  }

  node(key: string): LockNode | undefined {
    return this.nodes.get(key);
  }

  /** The flake's own inputs, in the order flake.lock lists them. */
  directInputNames(): string[] {
    return Object.keys(this.root.inputs);
  }

  /**
   * The node an input path leads to, following `follows` as Nix does (each follows path starts at
   * the root). Undefined when the path does not exist or a follows chain loops.
   */
  resolve(path: readonly string[]): { key: string; node: LockNode } | undefined {
    const printed = printInputPath(path);
    if (this.resolved.has(printed)) return this.resolved.get(printed);
    const target = this.resolveFrom(path, []);
    this.resolved.set(printed, target);
    return target;
  }

  /** Resolved paths: a diff resolves every path, and each path's parent, of both locks. */
  private readonly resolved = new Map<InputPath, { key: string; node: LockNode } | undefined>();

  private resolveFrom(
    path: readonly string[],
    visited: string[],
  ): { key: string; node: LockNode } | undefined {
    const printed = printInputPath(path);
    if (visited.includes(printed)) return undefined;
    visited.push(printed);
    let key = this.rootKey;
    for (const name of path) {
      const edge = this.nodes.get(key)?.inputs[name];
      if (edge === undefined) return undefined;
      if (typeof edge === 'string') {
        key = edge;
      } else {
        const target = this.resolveFrom(edge, visited);
        if (!target) return undefined;
        key = target.key;
      }
    }
    const node = this.nodes.get(key);
    return node && key !== this.rootKey ? { key, node } : undefined;
  }

  /** The edge an input path ends with, in the node its parent path resolves to. */
  edge(path: readonly string[]): LockEdge | undefined {
    const parentKey = path.length > 1 ? this.resolve(path.slice(0, -1))?.key : this.rootKey;
    const edge = parentKey ? this.nodes.get(parentKey)?.inputs[path[path.length - 1] as string] : undefined;
    if (edge === undefined) return undefined;
    return typeof edge === 'string' ? { key: edge } : { follows: edge };
  }

  /**
   * Every input path below the root with its edge. Unlike Nix's own walk, which enters each node
   * once, a node shared by several inputs is listed under each path reaching it, so a path stays
   * visible when another path to the same node changes. A `follows` edge is listed, not entered:
   * what lies behind it is listed under the path it follows.
   */
  inputPaths(): Map<InputPath, LockEdge> {
    const edges = new Map<InputPath, LockEdge>();
    const visit = (prefix: string[], key: string, entered: readonly string[]) => {
      if (entered.includes(key) || edges.size >= MAX_INPUT_PATHS) return;
      const inputs = this.nodes.get(key)?.inputs ?? {};
      for (const name of Object.keys(inputs).sort()) {
        const edge = inputs[name] as string | string[];
        const path = [...prefix, name];
        if (typeof edge === 'string') {
          edges.set(printInputPath(path), { key: edge });
          visit(path, edge, [...entered, key]);
        } else {
          edges.set(printInputPath(path), { follows: edge });
        }
      }
    };
    visit([], this.rootKey, []);
    return edges;
  }
}

/**
 * Where a locked node comes from, apart from which revision: the fetcher and its location
 * (`github:NixOS/nixpkgs`, `git+ssh://git@github.com/o/r`). The branch is left out: Nix 2.2x
 * rewrites a git input's `ref` from `main` to `refs/heads/main` without moving it.
 */
export function sourceLabel(locked: SourceAttrs, original?: SourceAttrs): string {
  const text = (name: string) => {
    const value = locked[name] ?? original?.[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const dir = text('dir');
  const inDir = dir ? `?dir=${dir}` : '';
  const { type } = locked;
  if (type === 'github' || type === 'gitlab' || type === 'sourcehut') {
    const host = text('host');
    return `${type}:${host ? `${host}/` : ''}${text('owner') ?? '?'}/${text('repo') ?? '?'}${inDir}`;
  }
  if (type === 'path') return `path:${text('path') ?? '?'}${inDir}`;
  // A tarball's locked URL names the exact file (often the revision itself); the original names the source.
  const url =
    (type === 'tarball' || type === 'file') && typeof original?.url === 'string' ? original.url : text('url');
  const scheme = url && /^[a-z]+\+/.test(url) ? '' : `${type}+`;
  return `${scheme}${url ?? '?'}${inDir}`;
}

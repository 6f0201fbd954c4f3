/** flake.lock texts made by code, shaped exactly as Nix writes them. */
import { diffLocks } from '../../src/lock/diff.js';
import type { LockProposal, Verification } from '../../src/lock/update.js';
import { FlakeLock } from '../../src/nix/lock-file.js';

export interface NodeSpec {
  inputs?: Record<string, string | string[]>;
  locked?: Record<string, unknown>;
  original?: Record<string, unknown>;
  flake?: boolean;
  info?: Record<string, unknown>;
  parent?: string[];
}

export function lockText(
  rootInputs: Record<string, string | string[]>,
  nodes: Record<string, NodeSpec>,
  version = 7,
) {
  return `${JSON.stringify({ nodes: { ...nodes, root: { inputs: rootInputs } }, root: 'root', version }, null, 2)}\n`;
}

const DAY = 86_400;
/** 2024-06-01T00:00:00Z */
export const JUNE_1 = 1_717_200_000;

export function github(
  owner: string,
  repo: string,
  rev: string,
  day: number,
  extra: Partial<NodeSpec> = {},
): NodeSpec {
  return {
    locked: {
      lastModified: JUNE_1 + day * DAY,
      narHash: `sha256-${rev.slice(0, 8)}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`,
      owner,
      repo,
      rev,
      type: 'github',
    },
    original: { owner, ref: 'nixos-unstable', repo, type: 'github' },
    ...extra,
  };
}

/** A 40-hex revision made from a seed, so tests read `rev('a')` instead of 40 characters. */
export function rev(seed: string): string {
  return seed
    .repeat(40)
    .slice(0, 40)
    .replace(/[^0-9a-f]/g, 'e');
}

/** A proposal as proposeUpdate makes it, from two lock texts. */
export function proposal(
  oldText: string,
  newText: string,
  verification: Verification,
  group?: string,
): LockProposal {
  const newLock = FlakeLock.parse(newText);
  return {
    plan: { branch: 'flakeflow/lock-update', inputs: 'all', ...(group ? { group } : {}) },
    oldLockText: oldText,
    newLockText: newText,
    newLock,
    diff: diffLocks(FlakeLock.parse(oldText), newLock),
    verification,
  };
}

/** A fleet flake with `count` direct inputs, each with two inputs of its own, all moved by a year. */
export function hugeUpdate(count: number, verification: Verification): LockProposal {
  const make = (day: number, seed: string) => {
    const nodes: Record<string, NodeSpec> = {};
    const root: Record<string, string> = {};
    for (let index = 0; index < count; index++) {
      const name = `input-with-a-long-descriptive-name-${index}`;
      root[name] = name;
      nodes[name] = github('some-organisation', name, rev(seed), day, {
        inputs: { nixpkgs: `nixpkgs_${index}`, utils: `utils_${index}` },
      });
      // Each input's own nixpkgs at its own revision: one row each, as a real fleet's would be.
      nodes[`nixpkgs_${index}`] = github('NixOS', 'nixpkgs', rev(`${seed}${index}`), day);
      nodes[`utils_${index}`] = github('numtide', 'flake-utils', rev(`${seed}${index}`), day);
    }
    return lockText(root, nodes);
  };
  return proposal(make(0, 'a'), make(365, 'b'), verification);
}

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostKind } from './fleet-types.js';

export const FLEET_EXPRESSION_FILE = 'fleet.nix';

/**
 * `nix/fleet.nix` of this checkout, found upwards from this module: it sits two levels below the
 * repository both as source (src/nix) and bundled (dist/hosts, …), and a GitHub action is checked out whole.
 */
export function fleetExpressionPath(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const candidate = join(dir, 'nix', FLEET_EXPRESSION_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find nix/${FLEET_EXPRESSION_FILE} above ${from}`);
    dir = parent;
  }
}

/** A Nix string literal: `${` and the escapes Nix knows are escaped, so any text stays text. */
export function nixString(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$\{/g, '\\${')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

function nixList(items: readonly string[]): string {
  return `[ ${items.map(nixString).join(' ')} ]`;
}

/** What nix/fleet.nix can compute; see its header. */
export type FleetFact =
  | 'hosts'
  | 'names'
  | 'deploy'
  | 'flakeflowNodes'
  | 'hasDeployNodes'
  | 'toplevels'
  | 'deployProfiles'
  | 'formatter'
  | 'backups';

export interface FleetCall {
  /** The flake directory, absolute; absent when the caller evaluates `hostConfig` itself. */
  flakeDir?: string;
  facts?: readonly FleetFact[];
  kinds?: readonly HostKind[];
  /** Extended regular expressions over host names. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** `<kind>/<name>` keys not to evaluate. */
  skip?: readonly string[];
  /** `<kind>/<name>` keys to evaluate alone, in this order, without catching their errors. */
  only?: readonly string[];
  /** With `hosts`: each record the host's derivation (`build`), or its system and backups (`inspect`). */
  hostRecord?: 'build' | 'inspect';
  /** Every `count`-th selected host from the `index`-th, listed by a `flakeflow-shard` trace first. */
  shard?: { index: number; count: number };
  /** With `backups`: only these NixOS hosts. */
  backupHosts?: readonly string[];
  /** With `toplevels`: only these configurations (else those of `flakeflow.nodes`, else all). */
  toplevelHosts?: readonly string[];
  /** With `deployProfiles`: only these deploy-rs nodes. */
  profileNodes?: readonly string[];
  /** With `backups`: the one host's `config` is the function's argument of this name (`--apply`). */
  hostConfig?: string;
  /** Facts that fail to evaluate come back null instead of failing the evaluation. */
  tolerant?: boolean;
  /** `jobs`: the selected hosts' derivations for nix-eval-jobs instead of the facts. */
  format?: 'facts' | 'jobs';
  /** The expression file; the one of this checkout by default. */
  expressionFile?: string;
}

/** The `nix eval --expr` (or nix-eval-jobs `--expr`) text that calls nix/fleet.nix once. */
export function fleetExpression(call: FleetCall): string {
  const args = [
    call.flakeDir ? `flake = builtins.getFlake ${nixString(resolve(call.flakeDir))};` : '',
    call.facts ? `facts = ${nixList(call.facts)};` : '',
    call.kinds ? `kinds = ${nixList(call.kinds)};` : '',
    call.include && call.include.length > 0 ? `include = ${nixList(call.include)};` : '',
    call.exclude && call.exclude.length > 0 ? `exclude = ${nixList(call.exclude)};` : '',
    call.skip && call.skip.length > 0 ? `skip = ${nixList(call.skip)};` : '',
    call.only ? `only = ${nixList(call.only)};` : '',
    call.hostRecord ? `hostRecord = ${nixString(call.hostRecord)};` : '',
    call.shard ? `shard = { index = ${call.shard.index}; count = ${call.shard.count}; };` : '',
    call.backupHosts ? `backupHosts = ${nixList(call.backupHosts)};` : '',
    call.toplevelHosts ? `toplevelHosts = ${nixList(call.toplevelHosts)};` : '',
    call.profileNodes ? `profileNodes = ${nixList(call.profileNodes)};` : '',
    call.hostConfig ? `hostConfig = ${call.hostConfig};` : '',
    call.tolerant ? 'tolerant = true;' : '',
    call.format ? `format = ${nixString(call.format)};` : '',
  ].filter((arg) => arg.length > 0);
  const file = call.expressionFile ?? fleetExpressionPath();
  return `import ${nixString(file)} { ${args.join(' ')} }`;
}

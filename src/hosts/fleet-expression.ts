import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostKind } from './host.js';

export const FLEET_EXPRESSION_FILE = 'fleet-hosts.nix';

/**
 * `nix/fleet-hosts.nix` of this checkout, found upwards from this module: it sits two levels below the
 * repository both as source (src/hosts) and bundled (dist/hosts), and a GitHub action is checked out whole.
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

export type FleetFormat = 'list' | 'names' | 'jobs';

export interface FleetCall {
  /** The flake directory, absolute. */
  flakeDir: string;
  kinds: readonly HostKind[];
  /** Extended regular expressions over host names. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** `<kind>/<name>` keys not to evaluate. */
  skip?: readonly string[];
  /** `<kind>/<name>` keys to evaluate alone, without catching their errors. */
  only?: readonly string[];
  format?: FleetFormat;
  /** The expression file; the one of this checkout by default. */
  expressionFile?: string;
}

/** The `nix eval --expr` (or nix-eval-jobs `--expr`) text that calls nix/fleet-hosts.nix once. */
export function fleetExpression(call: FleetCall): string {
  const args = [
    `flake = builtins.getFlake ${nixString(resolve(call.flakeDir))};`,
    `kinds = ${nixList(call.kinds)};`,
    call.include && call.include.length > 0 ? `include = ${nixList(call.include)};` : '',
    call.exclude && call.exclude.length > 0 ? `exclude = ${nixList(call.exclude)};` : '',
    call.skip && call.skip.length > 0 ? `skip = ${nixList(call.skip)};` : '',
    call.only ? `only = ${nixList(call.only)};` : '',
    `format = ${nixString(call.format ?? 'list')};`,
  ].filter((arg) => arg.length > 0);
  const file = call.expressionFile ?? fleetExpressionPath();
  return `import ${nixString(file)} { ${args.join(' ')} }`;
}

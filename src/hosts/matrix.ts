import { UserError } from '../core/errors.js';
import type { HostKind, HostStatus } from './host.js';
import { type RunnerLabels, runnerKey, runnerText } from './runners.js';

/** One item of the `hosts` output: every host of the fleet, whatever became of it. */
export interface HostEntry {
  host: string;
  kind: HostKind;
  status: HostStatus;
  /** Why the host has this status, in a few words. */
  reason: string;
  system?: string;
  runner?: RunnerLabels;
  /** The flake attribute that is built, e.g. `nixosConfigurations.pi.config.system.build.toplevel`. */
  attr?: string;
  drvPath?: string;
  outPath?: string;
  /** Nix's error text, for a host that failed to evaluate. */
  error?: string;
}

/** One `include` entry of the `matrix` output; a packed entry builds several hosts, listed in `hosts`. */
export interface MatrixEntry {
  host: string;
  kind: string;
  system: string;
  runner: RunnerLabels;
  attr: string;
  drvPath: string;
  evalOnly: boolean;
  hosts?: string[];
}

export function matrixEntry(entry: HostEntry, runner: RunnerLabels, evalOnly: boolean): MatrixEntry {
  return {
    host: entry.host,
    kind: entry.kind,
    system: entry.system ?? '',
    runner,
    attr: entry.attr ?? '',
    drvPath: entry.drvPath ?? '',
    evalOnly,
  };
}

function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(',');
}

/** Several entries of one runner as one entry: space-separated lists the build action reads whole. */
function packed(entries: readonly MatrixEntry[]): MatrixEntry {
  const first = entries[0] as MatrixEntry;
  if (entries.length === 1) return first;
  return {
    host: entries.map((entry) => entry.host).join(' '),
    kind: distinct(entries.map((entry) => entry.kind)),
    system: distinct(entries.map((entry) => entry.system)),
    runner: first.runner,
    attr: entries.map((entry) => entry.attr).join(' '),
    drvPath: entries.map((entry) => entry.drvPath).join(' '),
    evalOnly: first.evalOnly,
    hosts: entries.map((entry) => entry.host),
  };
}

/** Splits `items` into `parts` consecutive chunks whose sizes differ by one at most. */
export function balancedChunks<T>(items: readonly T[], parts: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let part = 0; part < parts; part += 1) {
    const size = Math.floor(items.length / parts) + (part < items.length % parts ? 1 : 0);
    chunks.push(items.slice(start, start + size));
    start += size;
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

/**
 * At most `maxJobs` entries: when there are more hosts, hosts of the same runner share entries.
 * Each runner gets entries so that the most hosts any entry builds is as small as it can be.
 */
export function packMatrix(entries: readonly MatrixEntry[], maxJobs: number): MatrixEntry[] {
  if (entries.length <= maxJobs) return [...entries];
  const groups = new Map<string, MatrixEntry[]>();
  for (const entry of entries) {
    const key = `${runnerKey(entry.runner)}|${entry.evalOnly}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const members = [...groups.values()];
  if (members.length > maxJobs) {
    const runners = [...new Set(members.map((group) => runnerText((group[0] as MatrixEntry).runner)))];
    throw new UserError(
      `Input 'max-jobs' must be at least ${members.length}: the matrix needs one entry per runner ` +
        `(${runners.join('; ')}), got ${maxJobs}`,
    );
  }
  const slots = members.map(() => 1);
  for (let spare = maxJobs - members.length; spare > 0; spare -= 1) {
    let widest = -1;
    let widestLoad = 1;
    members.forEach((group, index) => {
      const load = Math.ceil(group.length / (slots[index] as number));
      if (load > widestLoad) {
        widest = index;
        widestLoad = load;
      }
    });
    if (widest === -1) break;
    slots[widest] = (slots[widest] as number) + 1;
  }
  return members.flatMap((group, index) => balancedChunks(group, slots[index] as number).map(packed));
}

import type { ClosureComparison, HostBuild } from '../build/build-result.js';
import type { HostEntry } from '../hosts/matrix.js';

export const REPORT_STATUSES = ['built', 'failed', 'unchanged', 'cached', 'eval-only', 'skipped'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** One host in the report: what the hosts job decided and, for a host it built, what the build did. */
export interface ReportRow {
  host: string;
  kind?: string;
  system?: string;
  status: ReportStatus;
  /** A few words on why, shown beside the status. */
  note: string;
  closureSize?: number;
  comparison?: ClosureComparison;
  error?: string;
}

function fromBuild(build: HostBuild, entry?: HostEntry): ReportRow {
  return {
    host: build.host,
    kind: build.kind ?? entry?.kind,
    system: build.system ?? entry?.system,
    status: build.status,
    note:
      build.status === 'eval-only' ? (build.error ?? '') : build.status === 'failed' ? 'build failed' : '',
    ...(build.closureSize !== undefined ? { closureSize: build.closureSize } : {}),
    ...(build.comparison ? { comparison: build.comparison } : {}),
    ...(build.status === 'failed' && build.error ? { error: build.error } : {}),
  };
}

/**
 * Every host once: those the hosts job listed, in its order, with their build result when they have
 * one; a host it sent to the matrix that left no result counts as failed; results for hosts it did
 * not list (or without its output) come last.
 */
export function reportRows(
  hosts: readonly HostEntry[] | undefined,
  builds: readonly HostBuild[],
): ReportRow[] {
  const byHost = new Map<string, HostBuild>();
  for (const build of builds) if (!byHost.has(build.host)) byHost.set(build.host, build);
  const rows: ReportRow[] = [];
  const listed = new Set<string>();
  for (const entry of hosts ?? []) {
    listed.add(entry.host);
    const build = byHost.get(entry.host);
    if (build) {
      rows.push(fromBuild(build, entry));
      continue;
    }
    const base = { host: entry.host, kind: entry.kind, ...(entry.system ? { system: entry.system } : {}) };
    switch (entry.status) {
      case 'build':
        rows.push({
          ...base,
          status: 'failed',
          note: 'no result: the build job failed early or was cancelled',
        });
        break;
      case 'failed':
        rows.push({
          ...base,
          status: 'failed',
          note: entry.reason,
          ...(entry.error ? { error: entry.error } : {}),
        });
        break;
      default:
        rows.push({ ...base, status: entry.status, note: entry.reason });
    }
  }
  for (const build of builds) {
    if (!listed.has(build.host)) {
      listed.add(build.host);
      rows.push(fromBuild(build));
    }
  }
  return rows;
}

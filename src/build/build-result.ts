import { z } from 'zod';

/** A package whose versions or size differ between two closures, from `nix store diff-closures`. */
export const packageChange = z.object({
  name: z.string(),
  /** Versions before and after; empty when the package is added or removed. */
  before: z.array(z.string()),
  after: z.array(z.string()),
  /** Bytes; Nix only reports changes above 8 KiB. */
  sizeDelta: z.number().optional(),
});
export type PackageChange = z.infer<typeof packageChange>;

export const COMPARISON_STATUSES = ['compared', 'new', 'unavailable'] as const;

export const closureComparison = z.object({
  revision: z.string(),
  status: z.enum(COMPARISON_STATUSES),
  /** Why there is no diff, when there is none. */
  reason: z.string().optional(),
  baseOutPath: z.string().optional(),
  baseClosureSize: z.number().optional(),
  /** Closure size now minus at the revision, in bytes. */
  delta: z.number().optional(),
  changes: z.array(packageChange).default([]),
  /** `nix store diff-closures` as Nix printed it. */
  diff: z.string().default(''),
});
export type ClosureComparison = z.infer<typeof closureComparison>;

export const BUILD_STATUSES = ['built', 'failed', 'eval-only'] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

export const hostBuild = z.object({
  host: z.string(),
  kind: z.string().optional(),
  system: z.string().optional(),
  attr: z.string().optional(),
  status: z.enum(BUILD_STATUSES),
  drvPath: z.string().optional(),
  outPath: z.string().optional(),
  closureSize: z.number().optional(),
  durationMs: z.number().optional(),
  /** Nix's error text for a failed build, or why it was only evaluated. */
  error: z.string().optional(),
  comparison: closureComparison.optional(),
  /** The store URI the closure was copied to. */
  pushedTo: z.string().optional(),
  /** The `push-command` that pushed the closure, e.g. `cachix push homelab`. */
  pushedWith: z.string().optional(),
});
export type HostBuild = z.infer<typeof hostBuild>;

/** What the build action writes for the report action: one file per matrix entry, one result per host. */
export const resultFile = z.object({
  flakeflow: z.literal('build-result'),
  version: z.literal(1),
  results: z.array(hostBuild),
});
export type ResultFile = z.infer<typeof resultFile>;

export function resultFileOf(results: readonly HostBuild[]): ResultFile {
  return { flakeflow: 'build-result', version: 1, results: [...results] };
}

/** A file name for a matrix entry's results: its first host, safe on every file system. */
export function resultFileName(hosts: readonly string[]): string {
  const first = (hosts[0] ?? 'build').replace(/[^A-Za-z0-9._@+-]/g, '_');
  return `flakeflow-result-${first}${hosts.length > 1 ? `+${hosts.length - 1}` : ''}.json`;
}

import type { AnnotationLevel } from '../core/annotations.js';
import type { FAIL_LEVELS, GATE_CHECKS } from './inputs.js';

export type GateCheck = (typeof GATE_CHECKS)[number];
export type FailLevel = (typeof FAIL_LEVELS)[number];

/** Unformatted files and syntax errors are errors; deadnix and statix `Warn` are warnings; `Hint` a notice. */
export type Severity = AnnotationLevel;

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'notice'];

/** A replacement of a span, in the same coordinates as the finding (1-based, end column exclusive). */
export interface Fix {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  replacement: string;
}

export interface Finding {
  check: GateCheck;
  /** The program that reported it: `deadnix`, `statix`, `alejandra`, `nixfmt`, `treefmt`, `nix fmt`, `nix`. */
  tool: string;
  /** Relative to the repository root, with forward slashes. */
  file: string;
  line?: number;
  column?: number;
  endLine?: number;
  /** Exclusive. */
  endColumn?: number;
  severity: Severity;
  /** `unused let binding`, `W03 manual_inherit`, `unformatted`, `syntax`. */
  rule: string;
  message: string;
  /** A change that resolves the finding, when the tool offers one (statix) or it is a plain removal (deadnix). */
  fix?: Fix;
}

/** A check that could not give a verdict: missing tool, crash, config error. It always fails the gate. */
export interface CheckFailure {
  check: GateCheck;
  tool: string;
  /** One line naming what went wrong. */
  reason: string;
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly { severity: Severity }[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, notice: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, notice: 1 };

/** Whether a finding of this severity fails the gate at `fail-on`. */
export function failsAt(severity: Severity, failOn: FailLevel): boolean {
  if (failOn === 'never') return false;
  return RANK[severity] >= RANK[failOn];
}

/** By file, then line and column, then check: the order of the summary and the annotations. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const byLine = (a.line ?? 0) - (b.line ?? 0);
  if (byLine !== 0) return byLine;
  const byColumn = (a.column ?? 0) - (b.column ?? 0);
  if (byColumn !== 0) return byColumn;
  return a.check < b.check ? -1 : a.check > b.check ? 1 : 0;
}

/** `2 errors, 1 warning`, leaving out zero counts; `no findings` when all are zero. */
export function describeCounts(counts: SeverityCounts): string {
  const parts = SEVERITIES.filter((severity) => counts[severity] > 0).map(
    (severity) => `${counts[severity]} ${severity}${counts[severity] === 1 ? '' : 's'}`,
  );
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

import type { RunContext } from '../core/action.js';
import type { CheckFailure, FailLevel, Finding, GateCheck, SeverityCounts } from './findings.js';
import type { FileScope } from './scope.js';
import type { ReviewOutcome } from './suggestions.js';

// The gate's result and run facts, in a file of their own so the gate and what publishes its
// result (publish, check-run, summary, report) import them without importing each other.

/** The run facts the gate needs, as the runner (or a terminal) gives them. */
export type GateRunContext = Pick<
  RunContext,
  'workspace' | 'runnerTemp' | 'eventName' | 'event' | 'repository' | 'sha' | 'serverUrl' | 'runId'
>;

export interface CheckSummary {
  check: GateCheck;
  tool: string;
  counts: SeverityCounts;
  failures: string[];
  skipped?: string;
  durationMs: number;
}

/** Where a report of a syntax error sat: the tool and, when it gave one, the position. */
export interface SyntaxReport {
  tool: string;
  line?: number;
  column?: number;
}

/** A file whose syntax error several tools reported: the one report annotated, the others folded into it. */
export interface FoldedSyntaxErrors {
  file: string;
  kept: SyntaxReport;
  folded: SyntaxReport[];
}

export interface GateResult {
  passed: boolean;
  failOn: FailLevel;
  /** Sorted by file, line and column; paths relative to the repository root. */
  findings: Finding[];
  failures: CheckFailure[];
  /** Syntax errors left out of the findings because another report of the same file's was kept. */
  folded: FoldedSyntaxErrors[];
  /** Files the formatter would change, relative to the repository root. */
  unformatted: string[];
  checks: CheckSummary[];
  scope: FileScope;
  /** The flake directory relative to the repository root, `''` at the root. */
  prefix: string;
  /** The JSON report's path. */
  reportPath: string;
  /** Set when the step must fail: one line saying why. */
  failure?: string;
  publication: Publication;
}

export interface Publication {
  checkRun?: PublishedCheckRun;
  review?: ReviewOutcome;
  /** Why something could not be published; each was also logged as a warning. */
  warnings: string[];
}

export interface PublishedCheckRun {
  id: number;
  url: string;
  requests: number;
}

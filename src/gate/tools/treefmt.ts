import { changedSpan, unformattedFinding } from '../format-diff.js';
import { normalizePath } from '../globs.js';
import { TreeSnapshot } from '../snapshot.js';
import {
  type CheckContext,
  type CheckOutcome,
  firstLine,
  runTool,
  settleCheck,
  type ToolFinding,
} from '../tool-run.js';

export interface TreefmtReport {
  changed: string[];
  /** `formatting failures detected`: a formatter treefmt runs failed (a parse error, a missing program). */
  formatterFailed: boolean;
  /** The `ERRO` lines that are not about changed files, for the failure reason. */
  errors: string[];
}

/** `ERRO file has changed path=…` (2.x) or `ERRO format: file has changed path=…` (2.0.x). */
const FILE_CHANGED = /file has changed path=(?:"((?:[^"\\]|\\.)*)"|(\S+))/;

export function parseTreefmt(stderr: string): TreefmtReport {
  const changed: string[] = [];
  const errors: string[] = [];
  for (const line of stderr.split('\n')) {
    const match = FILE_CHANGED.exec(line);
    if (match) changed.push(normalizePath(match[1] ?? (match[2] as string)));
    else if (/^\s*ERRO\b/.test(line)) errors.push(line.trim().replace(/^ERRO\s+/, ''));
  }
  return { changed, formatterFailed: /formatting failures detected/.test(stderr), errors };
}

/**
 * treefmt has no check mode: with `--ci` it rewrites, reports and exits 1. It runs in the checkout
 * on a snapshot that is put back afterwards, so the job's tree is left exactly as it was.
 */
export function runTreefmt(context: CheckContext): Promise<CheckOutcome> {
  return settleCheck('format', 'treefmt', async (transcript) => {
    const command = await context.tools.command('treefmt');
    if (context.scope.mode === 'changed' && context.scope.files.length === 0) {
      return {
        tool: 'treefmt',
        findings: [],
        failures: [],
        unformatted: [],
        skipped: 'no .nix files to check',
      };
    }
    return rewriteAndRestore(context, 'treefmt', (paths) =>
      runTool(context, transcript, command, ['--ci', ...paths]),
    );
  });
}

/** Runs a rewriting formatter under a snapshot and turns what it changed into findings. */
export async function rewriteAndRestore(
  context: CheckContext,
  tool: string,
  format: (paths: readonly string[]) => ReturnType<typeof runTool>,
): Promise<Omit<CheckOutcome, 'check' | 'durationMs' | 'transcript'>> {
  // In changed mode only the given paths are formatted; otherwise the formatter may touch any file.
  const paths = context.scope.mode === 'changed' ? context.scope.files : [];
  const saved = context.scope.mode === 'changed' ? context.scope.files : await context.listTree();
  const snapshot = await TreeSnapshot.take(context.flakeDir, saved);
  const run = await format(paths).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const rewritten = await snapshot.restore();
  if ('error' in run) throw run.error;
  const { result } = run;
  const report = parseTreefmt(result.stderr);
  const findings: ToolFinding[] = [];
  const unformatted: string[] = [];
  for (const file of rewritten) {
    if (context.exclude.matches(file.path)) continue;
    unformatted.push(file.path);
    findings.push(
      unformattedFinding(
        tool,
        file.path,
        file.after === undefined ? undefined : changedSpan(file.before, file.after),
      ),
    );
  }
  for (const path of report.changed) {
    if (unformatted.includes(path) || context.exclude.matches(path)) continue;
    unformatted.push(path);
    findings.push(unformattedFinding(tool, path, undefined));
  }
  const failures: string[] = [];
  if (report.formatterFailed) {
    failures.push(`${tool}: a formatter failed${report.errors[0] ? `: ${report.errors[0]}` : ''}`);
  } else if (result.timedOut || (result.exitCode !== 0 && unformatted.length === 0)) {
    const detail = firstLine(
      result.stderr
        .split('\n')
        .filter((line) => !/^(traversed|emitted|formatted) /.test(line))
        .reverse()
        .join('\n'),
    );
    failures.push(`${tool} exited with code ${result.exitCode}${detail ? `: ${detail}` : ''}`);
  }
  return { tool, findings, failures, unformatted };
}

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countBySeverity } from './findings.js';
import type { GateResult, GateRunContext } from './result.js';

/** The JSON report every finding goes into, under RUNNER_TEMP (or the workspace when there is none). */
export async function writeReport(result: GateResult, context: GateRunContext): Promise<string> {
  const report = {
    version: 1,
    passed: result.passed,
    failOn: result.failOn,
    files: {
      mode: result.scope.mode,
      count: result.scope.files.length,
      ...(result.scope.base ? { base: result.scope.base.commit } : {}),
    },
    counts: countBySeverity(result.findings),
    findings: result.findings.map((finding) => ({
      tool: finding.tool,
      check: finding.check,
      file: finding.file,
      line: finding.line ?? null,
      column: finding.column ?? null,
      endLine: finding.endLine ?? null,
      endColumn: finding.endColumn ?? null,
      severity: finding.severity,
      rule: finding.rule,
      message: finding.message,
      ...(finding.fix ? { fix: finding.fix } : {}),
    })),
    failures: result.failures,
    unformatted: result.unformatted,
  };
  let dir: string;
  try {
    await mkdir(context.runnerTemp, { recursive: true });
    dir = await mkdtemp(join(context.runnerTemp, 'flakeflow-gate-'));
  } catch {
    dir = join(context.workspace, '.flakeflow');
    await mkdir(dir, { recursive: true });
  }
  const path = join(dir, 'gate-report.json');
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

import { blocks, formatDuration, heading, table } from '../core/markdown.js';
import { htmlPage } from './report-html.js';

export type StepStatus = 'passed' | 'failed' | 'skipped' | 'planned';

/** One step of the demo pipeline, as the report and the final screen show it. */
export interface DemoStep {
  title: string;
  status: StepStatus;
  /** One line: what came of it. */
  headline: string;
  /** The markdown the step's action wrote (its job summary, or the PR body). */
  summary?: string;
  /** What the user can do about a skipped part, shown on the final screen. */
  notes?: string[];
  durationMs: number;
}

const STATUS_LABELS: Record<StepStatus, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  planned: '🗺️ planned',
};

/** The pipeline at a glance: one row per step. */
export function stepsTable(steps: readonly DemoStep[]): string {
  return table(
    ['Step', 'Result', 'Time', 'What came of it'],
    steps.map((step) => [
      step.title.split(':')[0] ?? step.title,
      STATUS_LABELS[step.status],
      formatDuration(step.durationMs),
      step.headline,
    ]),
  );
}

/** The actions' summaries start at `##`: one level down, they sit under the step's own heading. */
function nested(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(`{3,}|~{3,})/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

export interface DemoReportFacts {
  steps: readonly DemoStep[];
  nixVersion: string;
  hostCount: number;
  durationMs: number;
  dir: string;
}

/** The report: markdown as GitHub would show it, and the same as a self-contained HTML page. */
export function demoReport(facts: DemoReportFacts): { markdown: string; html: string } {
  const title = 'flakeflow demo: the example homelab fleet';
  const markdown = `${blocks(
    heading(1, title),
    `${facts.nixVersion} · ${facts.hostCount} hosts · ${formatDuration(facts.durationMs)} · in \`${facts.dir}\``,
    stepsTable(facts.steps),
    ...facts.steps.map((step) =>
      blocks(
        heading(2, `${STATUS_LABELS[step.status].split(' ')[0]} ${step.title}`),
        step.headline,
        step.summary ? nested(step.summary.trim()) : undefined,
      ),
    ),
  )}\n`;
  const html = htmlPage(title, markdown, `Written by flakeflow demo on ${new Date().toISOString()}`);
  return { markdown, html };
}

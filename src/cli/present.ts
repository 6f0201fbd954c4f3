import type { ActionResult } from '../core/action.js';
import type { Annotation } from '../core/annotations.js';
import { formatDuration } from '../core/markdown.js';
import { markdownToText } from './markdown-text.js';
import { type Palette, renderColumns, type TerminalStream, terminalWidth, truncate } from './terminal.js';

/** Outputs as `--json` prints them: values that are JSON objects or lists are embedded, the rest stay strings. */
export function outputsJson(
  outputs: Record<string, string>,
  names: readonly string[],
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const name of names) {
    const value = outputs[name];
    if (value === undefined) continue;
    const trimmed = value.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        json[name] = JSON.parse(trimmed);
        continue;
      } catch {
        // Text that merely starts with a bracket.
      }
    }
    json[name] = value;
  }
  return json;
}

/** `file:line:col: level: title: message`, as compilers print it, so editors and terminals link it. */
export function annotationLine(annotation: Annotation, colours: Palette): string {
  const where = annotation.file
    ? `${annotation.file}${annotation.line ? `:${annotation.line}${annotation.column ? `:${annotation.column}` : ''}` : ''}: `
    : '';
  const level =
    annotation.level === 'error'
      ? colours.red('error')
      : annotation.level === 'warning'
        ? colours.yellow('warning')
        : colours.cyan('notice');
  const message = annotation.message.split('\n')[0] ?? '';
  return `${where}${level}: ${annotation.title ? `${annotation.title}: ` : ''}${message}`;
}

export interface Presentation {
  command: string;
  result: ActionResult;
  outputNames: readonly string[];
  durationMs: number;
  colours: Palette;
  stream: TerminalStream;
  /** Lines the whole presentation may take; the summary gives way first. */
  maxLines?: number;
  /** Said after the summary when it had to be cut. */
  moreHint?: string;
  /** RUNNER_TEMP, already removed: outputs naming files in it say so. */
  removedDir?: string | undefined;
}

const MAX_ANNOTATIONS = 8;

/**
 * The one screen after a run: the summary as terminal text, the annotations, the outputs in one
 * line each and the verdict. What does not fit says where the rest is.
 */
export function presentResult(presentation: Presentation): string[] {
  const { result, colours } = presentation;
  const width = terminalWidth(presentation.stream);
  const maxLines = presentation.maxLines ?? 60;

  const annotations = result.annotations ?? [];
  const annotationLines = annotations
    .slice(0, MAX_ANNOTATIONS)
    .map((annotation) => truncate(`  ${annotationLine(annotation, colours)}`, width));
  if (annotations.length > MAX_ANNOTATIONS) {
    annotationLines.push(colours.dim(`  … ${annotations.length - MAX_ANNOTATIONS} more in the summary`));
  }

  const outputRows = presentation.outputNames
    .filter((name) => result.outputs[name] !== undefined)
    .map((name) => {
      const value = (result.outputs[name] as string).replace(/\s*\n\s*/g, ' ⏎ ');
      if (value === '') return [name, colours.dim('(empty)')];
      if (presentation.removedDir && value.startsWith(presentation.removedDir)) {
        return [name, colours.dim(`(removed, --keep-temp keeps it) ${value}`)];
      }
      return [name, value];
    });
  const outputLines =
    outputRows.length > 0
      ? renderColumns({ header: ['output', 'value'], rows: outputRows }, width, colours)
      : [];

  const verdict = result.failure
    ? `${colours.red('✗')} flakeflow ${presentation.command} failed after ${formatDuration(presentation.durationMs)}`
    : `${colours.green('✓')} flakeflow ${presentation.command} passed in ${formatDuration(presentation.durationMs)}`;

  const fixed = annotationLines.length + outputLines.length + 4;
  const summary = markdownToText(result.summary ?? '', { width, colours });
  const room = Math.max(8, maxLines - fixed);
  const shown = summary.length > room ? summary.slice(0, room - 1) : summary;
  if (summary.length > room) {
    shown.push(colours.dim(`… ${summary.length - shown.length} more lines${presentation.moreHint ?? ''}`));
  }

  return [
    '',
    ...shown,
    ...(annotationLines.length > 0 ? ['', ...annotationLines] : []),
    ...(outputLines.length > 0 ? ['', ...outputLines] : []),
    '',
    verdict,
  ];
}

import type { Annotation } from '../core/annotations.js';
import type { Finding } from './findings.js';

/** `deadnix`, `statix W03 manual_inherit`, `format`, `flake-check`: what GitHub shows above the message. */
export function annotationTitle(finding: Finding): string {
  if (finding.check === 'statix') return `statix ${finding.rule}`;
  return finding.check;
}

/** The message, with statix's fix spelt out: a reader on a phone sees what to write instead. */
export function annotationMessage(finding: Finding): string {
  if (finding.check === 'statix' && finding.fix) {
    const replacement = finding.fix.replacement.trim();
    if (replacement) return `${finding.message}\nSuggested: ${replacement}`;
  }
  return finding.message;
}

/**
 * One workflow-command annotation per finding. Columns only when the span stays on one line: GitHub
 * ignores them otherwise.
 */
export function findingAnnotation(finding: Finding): Annotation {
  const annotation: Annotation = {
    level: finding.severity,
    message: annotationMessage(finding),
    title: annotationTitle(finding),
    file: finding.file,
  };
  if (finding.line === undefined) return annotation;
  annotation.line = finding.line;
  const endLine = finding.endLine ?? finding.line;
  if (endLine !== finding.line) {
    annotation.endLine = endLine;
    return annotation;
  }
  if (finding.column !== undefined) {
    annotation.column = finding.column;
    if (finding.endColumn !== undefined && finding.endColumn > finding.column) {
      annotation.endColumn = finding.endColumn;
    }
  }
  return annotation;
}

import type { IntegrityCheck } from './config.js';

const DAY_MS = 86_400_000;
export const ROTATE_PARTS = 7;

/** What one `check` run reads: `readData` as Restic.check takes it, and how the summary names it. */
export interface IntegrityScope {
  readData: true | string | undefined;
  description: string;
}

/**
 * `rotate` reads slice n/7 with n from the UTC day (days since the epoch, mod 7), so seven daily runs
 * read every pack once: restic picks the packs whose first ID byte is n-1 mod 7.
 */
export function rotateSlice(now: number): number {
  return (Math.floor(now / DAY_MS) % ROTATE_PARTS) + 1;
}

/** Undefined for `none`. */
export function integrityScope(check: IntegrityCheck, now: number): IntegrityScope | undefined {
  switch (check.mode) {
    case 'none':
      return undefined;
    case 'structure':
      return { readData: undefined, description: 'structure only (no pack data read)' };
    case 'all':
      return { readData: true, description: 'all pack data read' };
    case 'rotate': {
      const slice = `${rotateSlice(now)}/${ROTATE_PARTS}`;
      return {
        readData: slice,
        description: `pack slice ${slice} read (rotates daily: all packs within 7 days)`,
      };
    }
    case 'subset':
      return {
        readData: `${check.part}/${check.parts}`,
        description: `pack slice ${check.part}/${check.parts} read (the same slice every run)`,
      };
    case 'percent':
      return { readData: `${check.percent}%`, description: `a random ${check.percent}% of pack data read` };
  }
}

/** The slice's short form for the summary table cell. */
export function scopeCell(check: IntegrityCheck, now: number): string {
  switch (check.mode) {
    case 'rotate':
      return `slice ${rotateSlice(now)}/${ROTATE_PARTS}`;
    case 'subset':
      return `slice ${check.part}/${check.parts}`;
    case 'percent':
      return `${check.percent}%`;
    default:
      return check.mode;
  }
}

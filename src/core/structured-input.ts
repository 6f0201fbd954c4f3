import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { field, type InputDeclaration } from './inputs.js';

// Apart from inputs.ts so that only the actions with a YAML input (hosts, deploy, lock-update,
// backup-verify) bundle the YAML parser.

function describeZodIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return `${issue.message}${where}`;
}

/**
 * A YAML (or JSON, which is YAML) value checked against `shape`. `expected` says in words what the
 * input holds, e.g. "a YAML map from Nix system to runner labels".
 */
export function structured<T, O extends InputDeclaration>(
  shape: z.ZodType<T>,
  expected: string,
  options: O = {} as O,
) {
  return field(options, (raw, fail): T => {
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
      return fail(`${expected} (YAML or JSON; it does not parse: ${reason})`);
    }
    const checked = shape.safeParse(value);
    if (!checked.success) {
      const first = checked.error.issues[0];
      return fail(`${expected}${first ? ` (${describeZodIssue(first)})` : ''}`);
    }
    return checked.data;
  });
}

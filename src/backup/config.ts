import { z } from 'zod';
import { durationValue } from '../core/inputs.js';

export const PASSWORD_SOURCES = ['password-file', 'password-env', 'password-command'] as const;

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const names = z.array(z.string().min(1)).min(1);

/** The snapshots one backup job writes, matched like restic's `--host`, `--tag` and `--path`. */
export const snapshotGroupShape = z.strictObject({
  host: z.string().min(1).optional(),
  tags: names.optional(),
  paths: names.optional(),
  'max-age': durationValue().optional(),
});

/** The `forget` policy the repository is expected to follow, as restic's `--keep-*` counts. */
export const retentionPolicyShape = z.strictObject({
  last: z.int().min(0).optional(),
  hourly: z.int().min(0).optional(),
  daily: z.int().min(0).optional(),
  weekly: z.int().min(0).optional(),
  monthly: z.int().min(0).optional(),
  yearly: z.int().min(0).optional(),
});

/**
 * How much pack data `restic check` reads. `rotate` reads a different `n/t` subset each run so every
 * pack is read within t runs; `n/t` always reads the same subset; `x%` reads a random sample.
 */
export type IntegrityCheck =
  | { mode: 'rotate' | 'none' | 'structure' | 'all' }
  | { mode: 'subset'; part: number; parts: number }
  | { mode: 'percent'; percent: number };

const CHECK_EXPECTED = "rotate, none, structure, all, 'n/t' (t up to 256) or 'x%'";

export const integrityCheckShape = z.string().transform((raw, ctx): IntegrityCheck => {
  const word = raw.trim();
  if (word === 'rotate' || word === 'none' || word === 'structure' || word === 'all') return { mode: word };
  const subset = /^(\d+)\/(\d+)$/.exec(word);
  if (subset) {
    const part = Number(subset[1]);
    const parts = Number(subset[2]);
    if (part >= 1 && part <= parts && parts <= 256) return { mode: 'subset', part, parts };
  }
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(word);
  if (percent && Number(percent[1]) > 0 && Number(percent[1]) <= 100) {
    return { mode: 'percent', percent: Number(percent[1]) };
  }
  ctx.addIssue({ code: 'custom', message: `must be ${CHECK_EXPECTED}, got '${word}'` });
  return z.NEVER;
});

/** The test restore: `sample` files restored with `--verify`, and a canary file read back. */
export const restoreShape = z.strictObject({
  sample: z.int().min(0).optional(),
  canary: z.string().min(1).optional(),
  'canary-max-age': durationValue().optional(),
});

export const repositoryShape = z
  .strictObject({
    name: z.string().min(1),
    repository: z.string().min(1),
    'password-file': z.string().min(1).optional(),
    'password-env': variableName.optional(),
    'password-command': z.string().min(1).optional(),
    env: z.array(variableName).optional(),
    'max-age': durationValue().optional(),
    groups: z.array(snapshotGroupShape).optional(),
    policy: retentionPolicyShape.optional(),
    check: integrityCheckShape.optional(),
    restore: restoreShape.optional(),
  })
  .superRefine((repository, ctx) => {
    const given = PASSWORD_SOURCES.filter((source) => repository[source] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `repository '${repository.name}' needs exactly one of ${PASSWORD_SOURCES.join(', ')}`,
      });
    }
  });

/** `repositories` (and the `config` file): the restic repositories to verify, with unique names. */
export const repositoriesShape = z
  .array(repositoryShape)
  .min(1)
  .superRefine((repositories, ctx) => {
    const seen = new Set<string>();
    for (const { name } of repositories) {
      if (seen.has(name))
        ctx.addIssue({ code: 'custom', message: `repository name '${name}' is used twice` });
      seen.add(name);
    }
  });

export type SnapshotGroup = z.output<typeof snapshotGroupShape>;
export type RetentionPolicy = z.output<typeof retentionPolicyShape>;
export type ResticRepository = z.output<typeof repositoryShape>;

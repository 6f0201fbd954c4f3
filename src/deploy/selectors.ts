import { z } from 'zod';

/** A node name, `@tag` (a key of `tags`), or `all`. */
const selector = z.string().min(1);

/** `tags`: a YAML map from tag (written without `@`) to the node names it stands for. */
export const deployTagsShape = z
  .record(z.string(), z.array(selector).min(1, 'lists no nodes'))
  .superRefine((tags, ctx) => {
    for (const tag of Object.keys(tags)) {
      if (tag.startsWith('@')) {
        ctx.addIssue({
          code: 'custom',
          message: `tag '${tag}' must be named without @ here (write ${tag.slice(1)}, and ${tag} in targets and waves)`,
        });
      }
    }
  });

/** `waves`: deployed in order; a wave is one selector or a list of them. */
export const wavesShape = z
  .array(
    z
      .union([selector, z.array(selector).min(1, 'is an empty wave')])
      .transform((wave) => (typeof wave === 'string' ? [wave] : wave)),
  )
  .min(1, 'lists no waves');

export type DeployTags = z.output<typeof deployTagsShape>;
export type Waves = z.output<typeof wavesShape>;

import { z } from 'zod';

/** Group names end up in branch names (`<branch>/<group>`), so they are kept to safe characters. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `groups`: each group gets its own pull request updating the flake inputs it names (names or globs). */
export const updateGroupsShape = z
  .record(z.string(), z.array(z.string().min(1)).min(1, 'lists no flake inputs'))
  .superRefine((groups, ctx) => {
    for (const name of Object.keys(groups)) {
      if (!GROUP_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `group name '${name}' may use only letters, digits, ., _ and -`,
        });
      }
    }
  });

export type UpdateGroups = z.output<typeof updateGroupsShape>;

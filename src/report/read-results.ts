import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { type HostBuild, resultFile } from '../build/build-result.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { FLEET_HOST_KINDS, HOST_STATUSES } from '../hosts/host.js';
import type { HostEntry } from '../hosts/matrix.js';

async function jsonFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return jsonFiles(path);
      return entry.isFile() && entry.name.endsWith('.json') ? [path] : [];
    }),
  );
  return nested.flat().sort();
}

/**
 * The build results under `dir`, however download-artifact laid them out (one folder per artifact,
 * or merged). Files that are not flakeflow result-files are skipped with a warning.
 */
export async function readResultFiles(
  dir: string,
  logger: Logger,
): Promise<{ results: HostBuild[]; files: number }> {
  const files = await jsonFiles(dir);
  const results: HostBuild[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      logger.warning(`${relative(dir, file)} is not JSON: skipped`);
      continue;
    }
    const checked = resultFile.safeParse(parsed);
    if (!checked.success) {
      logger.warning(`${relative(dir, file)} is not a flakeflow result-file: skipped`);
      continue;
    }
    results.push(...checked.data.results);
  }
  return { results, files: files.length };
}

const hostEntryShape = z.object({
  host: z.string(),
  kind: z.enum(FLEET_HOST_KINDS),
  status: z.enum(HOST_STATUSES),
  reason: z.string().default(''),
  system: z.string().optional(),
  runner: z.union([z.string(), z.array(z.string())]).optional(),
  attr: z.string().optional(),
  drvPath: z.string().optional(),
  outPath: z.string().optional(),
  error: z.string().optional(),
});

/** The hosts action's `hosts` output, as the report input receives it. */
export function parseHostsOutput(text: string | undefined): HostEntry[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(
      "Input 'hosts' must be the hosts action's `hosts` output (a JSON list), got text that is not JSON",
    );
  }
  const checked = z.array(hostEntryShape).safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UserError(
      `Input 'hosts' must be the hosts action's \`hosts\` output (a JSON list of hosts), got ${issue ? `${issue.message}${issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''}` : 'something else'}`,
    );
  }
  return checked.data;
}

import { readFile } from 'node:fs/promises';

/**
 * Parses a runner file-command file (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) as the runner does:
 * `name<<DELIMITER` heredocs, and the older `name=value` single lines.
 */
export function parseKeyValueFile(content: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = content.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] as string).replace(/\r$/, '');
    if (line.length === 0) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      index += 1;
      while (index < lines.length && (lines[index] as string).replace(/\r$/, '') !== delimiter) {
        body.push((lines[index] as string).replace(/\r$/, ''));
        index += 1;
      }
      if (index >= lines.length)
        throw new Error(`Unterminated heredoc for '${name}' (delimiter ${delimiter})`);
      values[name] = body.join('\n');
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`Invalid file-command line: ${line}`);
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}

export async function readKeyValueFile(path: string): Promise<Record<string, string>> {
  return parseKeyValueFile(await readFile(path, 'utf8').catch(() => ''));
}

export async function readPathFile(path: string): Promise<string[]> {
  const content = await readFile(path, 'utf8').catch(() => '');
  return content
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

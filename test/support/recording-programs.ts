import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One start of a recording stand-in: its arguments and the variables it was given. */
export interface RecordedStart {
  program: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Writes `bin/<name>`: a program that appends its argv and whole environment to `log` (one JSON line
 * a start), then does what `then` says: `exec` hands over to the real program at that path with the
 * same argv, stdio and exit code; `script` is Node code run with `args` in scope.
 */
export async function writeRecordingProgram(
  bin: string,
  name: string,
  log: string,
  then: { exec: string } | { script: string },
): Promise<string> {
  const path = join(bin, name);
  const body =
    'exec' in then
      ? [
          `const run = spawnSync(${JSON.stringify(then.exec)}, args, { stdio: 'inherit' });`,
          'process.exit(run.status ?? 1);',
        ].join('\n')
      : then.script;
  await writeFile(
    path,
    [
      '#!/usr/bin/env node',
      "import { appendFileSync } from 'node:fs';",
      "import { spawnSync } from 'node:child_process';",
      'const args = process.argv.slice(2);',
      `appendFileSync(${JSON.stringify(log)}, JSON.stringify({ program: ${JSON.stringify(name)}, args, env: process.env }) + '\\n');`,
      body,
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return path;
}

export async function readStarts(log: string): Promise<RecordedStart[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RecordedStart);
}

/**
 * A `cachix` that answers `cachix push NAME PATH…` as cachix's CLI does (its Commands.hs: one
 * "compressing and pushing PATH (SIZE)" line a path on stdout, then "All done." on stderr), and
 * refuses to push without CACHIX_AUTH_TOKEN (cachix asks the API first and stops at its 401; the
 * wording of that refusal here is ours, not recorded).
 */
export const CACHIX_PUSH_SCRIPT = `
import { statSync } from 'node:fs';
const [command, name, ...paths] = args;
if (command !== 'push' || !name) {
  process.stderr.write('Usage: cachix push NAME [PATHS...]\\n');
  process.exit(1);
}
if (!process.env.CACHIX_AUTH_TOKEN) {
  process.stderr.write(\`Binary cache \${name} needs an auth token: set CACHIX_AUTH_TOKEN\\n\`);
  process.exit(1);
}
const human = (bytes) => {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return \`\${size.toFixed(2)} \${units[unit]}\`;
};
if (paths.length === 0) {
  process.stderr.write('Nothing to push.\\n');
  process.exit(0);
}
for (const path of paths) process.stdout.write(\`compressing and pushing \${path} (\${human(statSync(path).size)})\\n\`);
process.stderr.write('All done.\\n');
`;

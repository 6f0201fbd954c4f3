import { readFileSync } from 'node:fs';
import type { ProcessResult, ProcessRunner } from '../../src/core/process.js';

/** test/recorded: what the real Nix and restic printed (README there). */
export const RECORDED_DIR = new URL('../recorded/', import.meta.url);

/** One recorded Nix or restic run: a `.txt` of `### argv`, `### exit`, `### stdout`, `### stderr` sections. */
export interface Recording {
  argv: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function readRecording(relativePath: string): Recording {
  const text = readFileSync(new URL(relativePath, RECORDED_DIR), 'utf8');
  const sections = new Map<string, string>();
  const parts = text.split(/^### (argv|env|cwd|exit|stdout|stderr)\n/m);
  for (let index = 1; index < parts.length; index += 2) {
    sections.set(parts[index] as string, parts[index + 1] ?? '');
  }
  const exit = sections.get('exit');
  if (exit === undefined || !sections.has('stdout')) throw new Error(`${relativePath} is not a recording`);
  return {
    argv: (sections.get('argv') ?? '').trim(),
    exitCode: Number(exit.trim()),
    stdout: sections.get('stdout') ?? '',
    stderr: sections.get('stderr') ?? '',
  };
}

/**
 * A runner answering every command with one recording, and `--version` / `version` with another:
 * the recorded bytes go through flakeflow's own command code and parsers.
 */
export class ReplayRunner implements ProcessRunner {
  readonly calls: (readonly string[])[] = [];

  constructor(
    private readonly version: Recording,
    private readonly answer: Recording,
  ) {}

  async run(command: string, args: readonly string[]): Promise<ProcessResult> {
    this.calls.push(args);
    const isVersion = args.at(-1) === '--version' || (args.length === 1 && args[0] === 'version');
    const recording = isVersion ? this.version : this.answer;
    return {
      command,
      args,
      exitCode: recording.exitCode,
      signal: null,
      stdout: recording.stdout,
      stderr: recording.stderr,
      timedOut: false,
      durationMs: 1,
    };
  }
}

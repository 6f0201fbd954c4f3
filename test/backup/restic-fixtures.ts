import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RecordingLogger } from '../../src/core/logger.js';
import { type ProcessResult, SpawnProcessRunner, succeeded } from '../../src/core/process.js';
import { cheapenKey } from './cheap-key.js';

/** Real restic repositories in a temp dir, built the way a backup timer would build them. */
export class ResticLab {
  readonly runner = new SpawnProcessRunner(new RecordingLogger());

  private constructor(readonly root: string) {}

  static async create(): Promise<ResticLab> {
    const lab = new ResticLab(await mkdtemp(join(tmpdir(), 'flakeflow-backup-test-')));
    const version = await lab.runner.run('restic', ['version']);
    if (!succeeded(version)) {
      throw new Error(
        'These tests run the real restic, which is missing here: run scripts/setup (apt-get install restic)',
      );
    }
    return lab;
  }

  async repository(
    name: string,
    password = `pw-${name}-${randomBytes(6).toString('hex')}`,
  ): Promise<TestRepository> {
    const repository = join(this.root, 'repos', name);
    const passwordFile = join(this.root, 'secrets', name);
    await mkdir(dirname(passwordFile), { recursive: true });
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const repo = new TestRepository(this, name, repository, passwordFile, password);
    await repo.restic(['init']);
    await cheapenKey(repository, password);
    return repo;
  }

  /** Writes files under `<root>/data/<dir>` and returns the absolute directory, ready to back up. */
  async files(dir: string, files: Record<string, string | Buffer>): Promise<string> {
    const base = join(this.root, 'data', dir);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(base, name)), { recursive: true });
      await writeFile(join(base, name), content);
    }
    return base;
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

export interface BackupOptions {
  host: string;
  tags?: string[];
  paths: string[];
  /** `backup --time`: a snapshot recorded at a past time, `YYYY-MM-DD HH:MM:SS` (UTC here). */
  time?: string;
}

export class TestRepository {
  constructor(
    readonly lab: ResticLab,
    readonly name: string,
    readonly location: string,
    readonly passwordFile: string,
    readonly password: string,
  ) {}

  env(): Record<string, string> {
    return {
      RESTIC_REPOSITORY: this.location,
      RESTIC_PASSWORD_FILE: this.passwordFile,
      RESTIC_CACHE_DIR: this.lab.path('cache'),
      TZ: 'UTC',
    };
  }

  async restic(args: string[], input?: string): Promise<ProcessResult> {
    const result = await this.lab.runner.run('restic', args, {
      env: this.env(),
      ...(input ? { input } : {}),
    });
    if (!succeeded(result)) throw new Error(`restic ${args.join(' ')} failed: ${result.stderr}`);
    return result;
  }

  async backup(options: BackupOptions): Promise<string> {
    const args = [
      'backup',
      '--json',
      '--host',
      options.host,
      ...(options.tags ?? []).flatMap((tag) => ['--tag', tag]),
      ...(options.time ? ['--time', options.time] : []),
      ...options.paths,
    ];
    const result = await this.restic(args);
    const summary = result.stdout
      .split('\n')
      .filter((line) => line.includes('"summary"'))
      .map((line) => JSON.parse(line) as { snapshot_id: string })[0];
    if (!summary) throw new Error(`restic backup printed no summary: ${result.stdout}`);
    return summary.snapshot_id;
  }

  /** The data packs, largest first (a random file's pack is the largest). */
  async packs(): Promise<{ id: string; path: string; size: number }[]> {
    const data = join(this.location, 'data');
    const packs: { id: string; path: string; size: number }[] = [];
    for (const prefix of await readdir(data)) {
      for (const id of await readdir(join(data, prefix))) {
        const path = join(data, prefix, id);
        packs.push({ id, path, size: (await stat(path)).size });
      }
    }
    return packs.sort((a, b) => b.size - a.size);
  }

  /** Flips one byte inside a pack's data, the corruption `check` alone cannot see. */
  async flipByte(packPath: string, offset = 100): Promise<void> {
    await chmod(packPath, 0o600);
    const bytes = await readFile(packPath);
    bytes[offset] = (bytes[offset] as number) ^ 0xff;
    await writeFile(packPath, bytes);
  }
}

export function randomFile(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** restic's `--time` format for a moment `ms` milliseconds before `now`. */
export function resticTime(now: number, msAgo: number): string {
  return new Date(now - msAgo).toISOString().slice(0, 19).replace('T', ' ');
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

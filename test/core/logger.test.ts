import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/core/action.js';
import { CleanupList, readCleanupPaths, removeRegisteredPaths } from '../../src/core/cleanup.js';
import { RecordingLogger, SecretMasker } from '../../src/core/logger.js';

describe('SecretMasker', () => {
  it('masks a multi-line secret whole and line by line, longest first', () => {
    const masker = new SecretMasker();
    masker.add('-----BEGIN KEY-----\nAAAAsecretline\n-----END KEY-----');
    masker.add('AAAA');
    const text = 'key: -----BEGIN KEY-----\nAAAAsecretline\n-----END KEY----- and AAAAsecretline alone, AAAA';
    expect(masker.redact(text)).toBe('key: *** and *** alone, ***');
  });

  it('ignores values too short to mask safely', () => {
    const masker = new SecretMasker();
    masker.add('a');
    masker.add('  ');
    expect(masker.size).toBe(0);
    expect(masker.redact('a cat')).toBe('a cat');
  });
});

describe('RecordingLogger', () => {
  it('records grouped lines with secrets redacted', async () => {
    const logger = new RecordingLogger();
    logger.mask('tok_123456');
    await logger.group('Deploy pi', async () => logger.info('using tok_123456'));
    expect(logger.lines).toEqual([
      { level: 'group-start', message: 'Deploy pi' },
      { level: 'info', message: 'using ***' },
      { level: 'group-end', message: 'Deploy pi' },
    ]);
  });
});

function memoryState(): StateStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return { values, save: (name, value) => values.set(name, value), read: (name) => values.get(name) };
}

describe('clean-up list for post steps', () => {
  it('saves every registration at once and removes the files later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flakeflow-cleanup-'));
    const key = join(dir, 'id_ed25519');
    await writeFile(key, 'secret', { mode: 0o600 });
    const state = memoryState();
    const cleanup = new CleanupList(state);
    cleanup.add(key);
    cleanup.add(key);
    cleanup.add(join(dir, 'never-created'));
    expect(readCleanupPaths(state)).toEqual([key, join(dir, 'never-created')]);

    const logger = new RecordingLogger();
    expect(await removeRegisteredPaths(state, logger)).toBe(2);
    await expect(stat(key)).rejects.toThrow(/ENOENT/);
  });

  it('treats corrupt state as nothing to clean', () => {
    const state = memoryState();
    state.save('cleanup-paths', '{not json');
    expect(readCleanupPaths(state)).toEqual([]);
  });
});

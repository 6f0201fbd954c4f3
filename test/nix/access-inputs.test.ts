import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineInputs, parseInputs } from '../../src/core/inputs.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner } from '../../src/core/process.js';
import { nixAccessInputs, nixAccessSettings, PUBLISHED_KNOWN_HOSTS } from '../../src/nix/access-inputs.js';

/** The SHA256 fingerprints each host publishes (docs.github.com, docs.gitlab.com, docs.codeberg.org). */
const PUBLISHED_FINGERPRINTS = [
  'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU github.com (ED25519)',
  'SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM github.com (ECDSA)',
  'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s github.com (RSA)',
  'SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8 gitlab.com (ED25519)',
  'SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw gitlab.com (ECDSA)',
  'SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ gitlab.com (RSA)',
  'SHA256:mIlxA9k46MmM6qdJOdMnAQpzGxF4WIVVL+fj+wZbw0g codeberg.org (ED25519)',
  'SHA256:T9FYDEHELhVkulEKKwge5aVhVTbqCW0MIRwAfpARs/E codeberg.org (ECDSA)',
  'SHA256:6QQmYi4ppFS4/+zSZ5S4IU+4sa6rwvQ4PbhCtPEBekQ codeberg.org (RSA)',
];

const schema = defineInputs({ ...nixAccessInputs });

describe('inputs-known-hosts', () => {
  it('defaults to keys whose fingerprints are the ones their hosts publish', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flakeflow-known-hosts-'));
    try {
      await writeFile(join(dir, 'known_hosts'), `${PUBLISHED_KNOWN_HOSTS}\n`);
      const result = await new SpawnProcessRunner(new RecordingLogger()).run('ssh-keygen', [
        '-l',
        '-f',
        join(dir, 'known_hosts'),
      ]);
      const fingerprints = result.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\d+ /, ''));
      expect(fingerprints).toEqual(PUBLISHED_FINGERPRINTS);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('nixAccessSettings', () => {
  it('reads the three inputs, the tokens one a line or space-separated', () => {
    const settings = parseInputs(
      schema,
      (name) =>
        ({ 'inputs-ssh-key': 'KEY', 'nix-access-tokens': 'github.com=ghp_a\ngitlab.com=PAT:b' })[name],
    );
    expect(nixAccessSettings(settings)).toEqual({
      sshKey: 'KEY',
      knownHosts: PUBLISHED_KNOWN_HOSTS,
      accessTokens: [
        { host: 'github.com', token: 'ghp_a' },
        { host: 'gitlab.com', token: 'PAT:b' },
      ],
    });
  });

  it("adds lock-update's own token for github.com unless nix-access-tokens names one", () => {
    const none = parseInputs(schema, () => undefined);
    expect(nixAccessSettings(none, 'ghs_job').accessTokens).toEqual([
      { host: 'github.com', token: 'ghs_job' },
    ]);
    const own = parseInputs(schema, (name) =>
      name === 'nix-access-tokens' ? 'github.com=ghp_mine' : undefined,
    );
    expect(nixAccessSettings(own, 'ghs_job').accessTokens).toEqual([
      { host: 'github.com', token: 'ghp_mine' },
    ]);
  });

  it('refuses a token entry without host= in one line that shows no token', () => {
    expect(() =>
      parseInputs(schema, (name) => (name === 'nix-access-tokens' ? 'ghp_secretvalue' : undefined)),
    ).toThrow(
      'Input \'nix-access-tokens\' must be host=token entries like github.com=ghp_… (an entry without "host="), got (secret value hidden)',
    );
  });
});

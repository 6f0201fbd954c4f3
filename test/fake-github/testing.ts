import { afterEach, beforeEach } from 'vitest';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from '../../src/core/github.js';
import { RecordingLogger } from '../../src/core/logger.js';
import { type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from './server.js';
import { removeOctokitWriteSpacing } from './write-spacing.js';

export const FAKE_TOKEN = 'ghs_fakeGitHubToken0123456789';

/** Our real client (retries, throttling) pointed at a fake, with back-off shrunk for tests. */
export function clientFor(
  fake: FakeGitHub,
  options: Partial<GitHubClientOptions> = {},
): { client: GitHubClient; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const client = createGitHubClient({
    token: FAKE_TOKEN,
    apiUrl: fake.url,
    graphqlUrl: fake.graphqlUrl,
    logger,
    retryBaseMs: 5,
    ...options,
  });
  return { client, logger };
}

export interface FakeGitHubFixture {
  readonly server: FakeGitHub;
  readonly client: GitHubClient;
  readonly logger: RecordingLogger;
}

/**
 * A fresh fake GitHub (and client) for every test; after each test it fails the test if any
 * request broke GitHub's contract, then shuts the server down. Octokit's courtesy spacing of writes
 * is removed for the test file (see write-spacing.ts) unless `keepWriteSpacing` is set.
 */
export function useFakeGitHub(
  options: FakeGitHubOptions & { keepWriteSpacing?: boolean } = {},
  clientOptions: Partial<GitHubClientOptions> = {},
): FakeGitHubFixture {
  if (!options.keepWriteSpacing) removeOctokitWriteSpacing();
  let current: { server: FakeGitHub; client: GitHubClient; logger: RecordingLogger } | undefined;
  beforeEach(async () => {
    const server = await startFakeGitHub(options);
    current = { server, ...clientFor(server, clientOptions) };
  });
  afterEach(async () => {
    const server = current?.server;
    current = undefined;
    if (!server) return;
    try {
      server.assertNoViolations();
    } finally {
      await server.close();
    }
  });
  const get = () => {
    if (!current) throw new Error('useFakeGitHub: the fake GitHub only exists inside a test');
    return current;
  };
  return {
    get server() {
      return get().server;
    },
    get client() {
      return get().client;
    },
    get logger() {
      return get().logger;
    },
  };
}

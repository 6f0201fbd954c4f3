import { defineConfig } from 'vitest/config';
import { flakeflowNixConfig } from './scripts/nix-settings.mjs';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: {
      NIX_CONFIG: flakeflowNixConfig(),
      GIT_AUTHOR_NAME: 'flakeflow tests',
      GIT_AUTHOR_EMAIL: 'tests@flakeflow.invalid',
      GIT_COMMITTER_NAME: 'flakeflow tests',
      GIT_COMMITTER_EMAIL: 'tests@flakeflow.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      NO_COLOR: '1',
    },
  },
});

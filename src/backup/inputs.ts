import { bool, defineInputs, githubToken, integer, list, text, words } from '../core/inputs.js';
import { structured } from '../core/structured-input.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { repositoriesShape } from './config.js';

export const BACKUP_CHECKS = ['open', 'freshness', 'retention', 'integrity', 'restore'] as const;

/**
 * Where the repositories come from is checked here only as far as the inputs show it; whether
 * `services-json` or `flake-host` also need a `config` for locations is the capability's to decide.
 */
export const backupVerifyInputs = defineInputs({
  config: text(),
  repositories: structured(repositoriesShape, 'a YAML list of restic repositories'),
  'services-json': text(),
  'flake-host': text(),
  path: text({ rawDefault: '.' }),
  checks: list({ rawDefault: 'open,freshness,retention,integrity,restore', of: BACKUP_CHECKS }),
  concurrency: integer({ rawDefault: '2', min: 1 }),
  'restic-command': words({ rawDefault: 'restic' }),
  'alert-issue': bool({ rawDefault: 'false' }),
  token: githubToken(),
  ...nixAccessInputs,
}).superRefine((settings, ctx) => {
  if (settings.config !== undefined && settings.repositories !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['repositories'],
      message: "cannot be combined with 'config': give the repositories in one place",
    });
  }
  if (settings['services-json'] !== undefined && settings['flake-host'] !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['flake-host'],
      message: "cannot be combined with 'services-json': read the backup jobs from one place",
    });
  }
  const sources = [settings.config, settings.repositories, settings['services-json'], settings['flake-host']];
  if (sources.every((source) => source === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['repositories'],
      message:
        "is required unless 'config', 'services-json' or 'flake-host' names the repositories to verify",
    });
  }
});

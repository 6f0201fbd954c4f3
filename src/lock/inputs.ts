import { bool, choice, defineInputs, githubToken, integer, list, size, text, words } from '../core/inputs.js';
import { structured } from '../core/structured-input.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { cacheAccessInputs } from '../nix/cache-access.js';
import { updateGroupsShape } from './groups.js';

export const MERGE_METHODS = ['merge', 'squash', 'rebase'] as const;
export const COMMIT_MODES = ['api', 'git'] as const;
export const VERIFY_LEVELS = ['none', 'eval', 'build'] as const;
export const VERIFY_FAILURE_POLICIES = ['fail', 'draft'] as const;

export const lockUpdateInputs = defineInputs({
  path: text({ rawDefault: '.' }),
  inputs: list({ what: 'flake input names' }),
  groups: structured(updateGroupsShape, 'a YAML map from group name to a list of flake input names or globs'),
  token: githubToken(),
  base: text(),
  branch: text({ rawDefault: 'flakeflow/lock-update' }),
  'commit-message': text({ rawDefault: 'flake.lock: update' }),
  'pr-title': text(),
  'pr-labels': list({ what: 'label names' }),
  'pr-reviewers': list({ what: 'user logins or org/team names' }),
  'pr-assignees': list({ what: 'user logins' }),
  'auto-merge': bool({ rawDefault: 'true' }),
  'merge-method': choice(MERGE_METHODS, { rawDefault: 'squash' }),
  'commit-mode': choice(COMMIT_MODES, { rawDefault: 'api' }),
  verify: choice(VERIFY_LEVELS, { rawDefault: 'eval' }),
  'on-verify-failure': choice(VERIFY_FAILURE_POLICIES, { rawDefault: 'fail' }),
  'dispatch-workflow': text(),
  'stale-days': integer({ rawDefault: '30', min: 0 }),
  'nix-options': words(),
  'eval-workers': integer({ min: 1, max: 256 }),
  'eval-max-memory': size(),
  'dry-run': bool({ rawDefault: 'false' }),
  ...nixAccessInputs,
  ...cacheAccessInputs,
  'inputs-use-token': bool({ rawDefault: 'false' }),
});

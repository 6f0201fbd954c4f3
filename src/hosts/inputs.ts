import { z } from 'zod';
import { bool, choice, defineInputs, integer, list, size, text, words } from '../core/inputs.js';
import { structured } from '../core/structured-input.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { cacheAccessInputs } from '../nix/cache-access.js';
import { FLEET_HOST_KINDS } from '../nix/fleet-types.js';

export const UNMAPPED_POLICIES = ['eval-only', 'skip', 'fail'] as const;

const runnerLabels = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const hostsInputs = defineInputs({
  path: text({ rawDefault: '.' }),
  kinds: list({ rawDefault: 'nixos,darwin,home', of: FLEET_HOST_KINDS }),
  runners: structured(
    z.record(z.string().min(1), runnerLabels),
    'a YAML map from Nix system to a runner label or list of labels',
  ),
  unmapped: choice(UNMAPPED_POLICIES, { rawDefault: 'eval-only' }),
  include: list({ what: 'host-name globs' }),
  exclude: list({ what: 'host-name globs' }),
  'changed-since': text(),
  'skip-cached': words(),
  'max-jobs': integer({ rawDefault: '256', min: 1, max: 256 }),
  'nix-options': words(),
  'allow-untrusted-on-self-hosted': bool({ rawDefault: 'false' }),
  'eval-workers': integer({ min: 1, max: 256 }),
  'eval-max-memory': size(),
  ...nixAccessInputs,
  ...cacheAccessInputs,
});

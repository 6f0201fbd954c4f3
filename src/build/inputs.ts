import {
  bool,
  commandLine,
  defineInputs,
  integer,
  secret,
  size,
  text,
  variableNames,
  words,
} from '../core/inputs.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { cacheAccessInputs } from '../nix/cache-access.js';

/** Which of `host`, `attr` or `drv-path` names the build is checked by the capability, not here. */
export const buildInputs = defineInputs({
  path: text({ rawDefault: '.' }),
  host: text(),
  attr: text(),
  'drv-path': text(),
  'compare-to': text(),
  'push-to': text(),
  'signing-key': secret(),
  'push-command': commandLine(),
  'push-env': variableNames(),
  'nix-options': words(),
  'allow-untrusted-on-self-hosted': bool({ rawDefault: 'false' }),
  'eval-workers': integer({ min: 1, max: 256 }),
  'eval-max-memory': size(),
  ...nixAccessInputs,
  ...cacheAccessInputs,
});

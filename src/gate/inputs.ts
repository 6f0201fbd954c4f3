import { bool, choice, defineInputs, githubToken, list, text, words } from '../core/inputs.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { cacheAccessInputs } from '../nix/cache-access.js';

export const GATE_CHECKS = ['format', 'deadnix', 'statix', 'flake-check'] as const;
export const FORMATTERS = ['auto', 'nix-fmt', 'treefmt', 'alejandra', 'nixfmt', 'none'] as const;
export const FILE_SCOPES = ['auto', 'all', 'changed'] as const;
export const TOOL_SOURCES = ['path-or-nix', 'path', 'nix'] as const;
export const FAIL_LEVELS = ['error', 'warning', 'never'] as const;

export const gateInputs = defineInputs({
  path: text({ rawDefault: '.' }),
  checks: list({ rawDefault: 'format,deadnix,statix', of: GATE_CHECKS }),
  formatter: choice(FORMATTERS, { rawDefault: 'auto' }),
  files: choice(FILE_SCOPES, { rawDefault: 'auto' }),
  'base-ref': text(),
  tools: choice(TOOL_SOURCES, { rawDefault: 'path-or-nix' }),
  'deadnix-args': words(),
  'statix-config': text(),
  exclude: list({ what: 'path globs' }),
  'fail-on': choice(FAIL_LEVELS, { rawDefault: 'warning' }),
  annotations: bool({ rawDefault: 'true' }),
  'check-run': bool({ rawDefault: 'false' }),
  token: githubToken(),
  suggestions: bool({ rawDefault: 'false' }),
  'allow-untrusted-on-self-hosted': bool({ rawDefault: 'false' }),
  ...nixAccessInputs,
  ...cacheAccessInputs,
});

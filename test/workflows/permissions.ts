/** GITHUB_TOKEN permissions as a workflow's `permissions:` key writes them. */

export type PermissionLevel = 'none' | 'read' | 'write';
/** Scope (`contents`, `pull-requests`, …) to level; a scope left out is `none`. */
export type Permissions = Record<string, PermissionLevel>;

export const PERMISSION_SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
] as const;

const RANK: Record<PermissionLevel, number> = { none: 0, read: 1, write: 2 };

/** The permissions a `permissions:` value grants: `read-all`, `write-all`, `{}` or a map. */
export function permissionsOf(value: unknown): Permissions {
  if (value === 'read-all' || value === 'write-all') {
    const level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(PERMISSION_SCOPES.map((scope) => [scope, level]));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const granted: Permissions = {};
  for (const [scope, level] of Object.entries(value)) {
    if (level === 'read' || level === 'write' || level === 'none') granted[scope] = level;
  }
  return granted;
}

/** What `needed` asks beyond `granted`, as `scope: level` lines; empty when `granted` covers it. */
export function permissionsShortfall(granted: Permissions, needed: Permissions): string[] {
  return Object.entries(needed)
    .filter(([scope, level]) => RANK[level] > RANK[granted[scope] ?? 'none'])
    .map(([scope, level]) => `${scope}: ${level}`);
}

import type { SourceAttrs } from '../nix/lock-file.js';

/** A repository on a forge whose web UI can show what changed between two revisions. */
export interface ForgeRepository {
  forge: 'github' | 'gitlab' | 'sourcehut' | 'gitea';
  /** Web host, e.g. `github.com`, `codeberg.org`, `git.sr.ht`. */
  host: string;
  /** Owner or group path (GitLab subgroups included: `group/subgroup`); `~user` on sourcehut. */
  owner: string;
  repo: string;
}

const DEFAULT_HOSTS = { github: 'github.com', gitlab: 'gitlab.com', sourcehut: 'git.sr.ht' } as const;

/** Hosts run on Gitea or Forgejo that give no hint of it in their name. */
const GITEA_HOSTS = new Set(['codeberg.org', 'git.lix.systems', 'git.dgnum.eu', 'git.clan.lol']);

function stringAttr(attrs: SourceAttrs | undefined, name: string): string | undefined {
  const value = attrs?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function forgeOfHost(host: string): ForgeRepository['forge'] | undefined {
  const name = host.toLowerCase();
  if (name === 'github.com' || name.startsWith('github.')) return 'github';
  if (name === 'gitlab.com' || name.startsWith('gitlab.') || name.includes('.gitlab.')) return 'gitlab';
  if (name === 'git.sr.ht') return 'sourcehut';
  if (GITEA_HOSTS.has(name) || /(^|[.-])(gitea|forgejo)([.-]|$)/.test(name)) return 'gitea';
  return undefined;
}

/** Owner and repository from a URL path: `/owner/repo.git`, `/group/sub/repo/archive/x.tar.gz`. */
function repositoryFromPath(forge: ForgeRepository['forge'], pathname: string) {
  let segments = pathname
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => decodeURIComponent(segment));
  const cut = segments.findIndex((segment) =>
    ['archive', '-', 'tarball', 'zipball', 'releases', 'commit', 'tree'].includes(segment),
  );
  if (cut >= 0) segments = segments.slice(0, cut);
  if (segments.length < 2) return undefined;
  // Only GitLab nests groups; elsewhere the first two segments name the repository.
  const repoIndex = forge === 'gitlab' ? segments.length - 1 : 1;
  const repo = (segments[repoIndex] as string).replace(/\.git$/, '');
  const owner = segments.slice(0, repoIndex).join('/');
  return repo && owner ? { owner, repo } : undefined;
}

function fromUrl(url: string): ForgeRepository | undefined {
  let parsed: URL;
  try {
    // `git+https://…`, `git+ssh://git@host/…`, `tarball+https://…`
    parsed = new URL(url.replace(/^[a-z]+\+/, ''));
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol)) return undefined;
  const forge = forgeOfHost(parsed.hostname);
  if (!forge) return undefined;
  const repository = repositoryFromPath(forge, parsed.pathname);
  return repository ? { forge, host: parsed.hostname.toLowerCase(), ...repository } : undefined;
}

/**
 * The forge repository a locked input comes from: `github:`, `gitlab:` and `sourcehut:` inputs
 * directly; `git+https://`, `https://…/archive/…` and similar URLs when their host is a known forge.
 */
export function forgeRepository(locked: SourceAttrs, original?: SourceAttrs): ForgeRepository | undefined {
  const { type } = locked;
  if (type === 'github' || type === 'gitlab' || type === 'sourcehut') {
    const owner = stringAttr(locked, 'owner') ?? stringAttr(original, 'owner');
    const repo = stringAttr(locked, 'repo') ?? stringAttr(original, 'repo');
    if (!owner || !repo) return undefined;
    const host = stringAttr(locked, 'host') ?? stringAttr(original, 'host') ?? DEFAULT_HOSTS[type];
    return {
      forge: type,
      host: host.toLowerCase(),
      owner: type === 'gitlab' ? decodeURIComponent(owner) : owner,
      repo,
    };
  }
  const url = stringAttr(locked, 'url') ?? stringAttr(original, 'url');
  return url ? fromUrl(url) : undefined;
}

function base(repository: ForgeRepository): string {
  return `https://${repository.host}/${repository.owner}/${repository.repo}`;
}

export function repositoryUrl(repository: ForgeRepository): string {
  return base(repository);
}

export function commitUrl(repository: ForgeRepository, rev: string): string {
  if (repository.forge === 'gitlab') return `${base(repository)}/-/commit/${rev}`;
  return `${base(repository)}/commit/${rev}`;
}

/**
 * The page showing the commits from `from` to `to`. sourcehut has no compare view, so its link is
 * the log starting at the new revision, which lists the new commits first.
 */
export function compareUrl(repository: ForgeRepository, from: string, to: string): string {
  switch (repository.forge) {
    case 'github':
    case 'gitea':
      return `${base(repository)}/compare/${from}...${to}`;
    case 'gitlab':
      return `${base(repository)}/-/compare/${from}...${to}`;
    case 'sourcehut':
      return `${base(repository)}/log/${to}`;
  }
}

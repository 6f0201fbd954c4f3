import { withoutCredentials } from '../../nix/input-fetch.js';
import { FlakeLock, type SourceAttrs, sourceLabel } from '../../nix/lock-file.js';

/** A direct input of the flake that looks private, judged by its URL alone (nothing is fetched). */
export interface PrivateInput {
  name: string;
  url: string;
  /** The secret that would let Nix fetch it: the SSH key, or an access token. */
  needs: 'inputs-ssh-key' | 'nix-access-tokens';
  why: string;
}

/** Hosts whose repositories are public unless their owner made one private, which a URL cannot tell. */
const PUBLIC_HOSTS = new Set([
  'github.com',
  'gitlab.com',
  'codeberg.org',
  'git.sr.ht',
  'bitbucket.org',
  'flakehub.com',
  'api.flakehub.com',
  'channels.nixos.org',
  'releases.nixos.org',
  'nixos.org',
  'install.determinate.systems',
]);

function hostOf(url: string): string | undefined {
  return /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:?]+)/i.exec(url)?.[1]?.toLowerCase();
}

/** Why `source` looks private, or undefined when it looks public or local. */
function judge(source: SourceAttrs): Pick<PrivateInput, 'needs' | 'why'> | undefined {
  const { type } = source;
  if (type === 'path') return undefined;
  if (type === 'github' || type === 'gitlab' || type === 'sourcehut') {
    const host = typeof source.host === 'string' ? source.host.toLowerCase() : undefined;
    return host && !PUBLIC_HOSTS.has(host)
      ? { needs: 'nix-access-tokens', why: `${host} is not a public forge` }
      : undefined;
  }
  const url = typeof source.url === 'string' ? source.url : '';
  if (/^(git\+)?ssh:\/\//.test(url) || (type === 'git' && /^[^/:]+@[^/:]+:/.test(url))) {
    return { needs: 'inputs-ssh-key', why: 'fetched over SSH' };
  }
  if (/^(git\+)?file:/.test(url) || url.startsWith('/')) return undefined;
  const host = hostOf(url);
  return host && !PUBLIC_HOSTS.has(host)
    ? { needs: type === 'git' ? 'inputs-ssh-key' : 'nix-access-tokens', why: `${host} is not a public forge` }
    : undefined;
}

/** `secrets.url = "…"` and `secrets = { url = "…"; … }` in flake.nix: its inputs before any lock. */
function declaredInputs(flakeNix: string): { name: string; url: string }[] {
  const found = new Map<string, string>();
  for (const match of flakeNix.matchAll(/([A-Za-z_][\w'-]*)\.url\s*=\s*"([^"]+)"/g)) {
    found.set(match[1] as string, match[2] as string);
  }
  for (const match of flakeNix.matchAll(/([A-Za-z_][\w'-]*)\s*=\s*\{[^{}]*?\burl\s*=\s*"([^"]+)"/g)) {
    if (!found.has(match[1] as string)) found.set(match[1] as string, match[2] as string);
  }
  return [...found].map(([name, url]) => ({ name, url }));
}

/** A flake reference URL (`git+ssh://…`, `github:o/r?host=…`) as the attributes judge() reads. */
function attrsOfUrl(url: string): SourceAttrs {
  const forge = /^(github|gitlab|sourcehut):[^?]*(?:\?(.*))?$/.exec(url);
  if (forge) {
    const host = new URLSearchParams(forge[2] ?? '').get('host');
    return { type: forge[1] as string, ...(host ? { host } : {}) };
  }
  const scheme = /^([a-z]+)\+/.exec(url)?.[1];
  return { type: scheme === 'git' ? 'git' : (scheme ?? 'tarball'), url: url.replace(/^git\+/, '') };
}

/**
 * The flake's direct inputs that look private, from flake.lock (each input's original reference)
 * or, for inputs not locked yet, from the URLs flake.nix gives.
 */
export function privateInputs(lockText: string | undefined, flakeNix: string | undefined): PrivateInput[] {
  const sources = new Map<string, SourceAttrs>();
  if (lockText !== undefined) {
    const lock = FlakeLock.parse(lockText);
    for (const name of lock.directInputNames()) {
      const edge = lock.edge([name]);
      const node = edge && 'key' in edge ? lock.node(edge.key) : undefined;
      const source = node?.original ?? node?.locked;
      if (source) sources.set(name, source);
    }
  }
  for (const { name, url } of declaredInputs(flakeNix ?? '')) {
    if (!sources.has(name)) sources.set(name, attrsOfUrl(url));
  }
  return [...sources].flatMap(([name, source]) => {
    const judged = judge(source);
    return judged ? [{ name, url: withoutCredentials(sourceLabel(source)), ...judged }] : [];
  });
}

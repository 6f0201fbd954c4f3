import { describe, expect, it } from 'vitest';
import { commitUrl, compareUrl, forgeRepository } from '../../src/lock/forges.js';
import type { SourceAttrs } from '../../src/nix/lock-file.js';

const A = '1111111111111111111111111111111111111111';
const B = '2222222222222222222222222222222222222222';

const cases: [string, SourceAttrs, string | undefined][] = [
  [
    'github:',
    { type: 'github', owner: 'NixOS', repo: 'nixpkgs', rev: B },
    `https://github.com/NixOS/nixpkgs/compare/${A}...${B}`,
  ],
  [
    'github: on GitHub Enterprise',
    { type: 'github', owner: 'infra', repo: 'modules', host: 'github.corp.example', rev: B },
    `https://github.corp.example/infra/modules/compare/${A}...${B}`,
  ],
  [
    'gitlab: with a subgroup',
    { type: 'gitlab', owner: 'group%2Fsub', repo: 'tool', rev: B },
    `https://gitlab.com/group/sub/tool/-/compare/${A}...${B}`,
  ],
  [
    'sourcehut: (no compare view: the log from the new revision)',
    { type: 'sourcehut', owner: '~misterio', repo: 'nix-colors', rev: B },
    `https://git.sr.ht/~misterio/nix-colors/log/${B}`,
  ],
  [
    'git+https on Codeberg (Forgejo)',
    { type: 'git', url: 'https://codeberg.org/lilyinstarlight/foosteros.git', rev: B },
    `https://codeberg.org/lilyinstarlight/foosteros/compare/${A}...${B}`,
  ],
  [
    'a self-hosted Gitea',
    { type: 'git', url: 'https://gitea.home.arpa/alice/dotfiles', rev: B },
    `https://gitea.home.arpa/alice/dotfiles/compare/${A}...${B}`,
  ],
  [
    'git+ssh on GitHub',
    { type: 'git', url: 'ssh://git@github.com/alice/secrets.git', rev: B },
    `https://github.com/alice/secrets/compare/${A}...${B}`,
  ],
  [
    'a GitLab archive tarball',
    { type: 'tarball', url: 'https://gitlab.com/a/b/-/archive/main/b-main.tar.gz', rev: B },
    `https://gitlab.com/a/b/-/compare/${A}...${B}`,
  ],
  ['a plain git server', { type: 'git', url: 'https://git.example.org/alice/x.git', rev: B }, undefined],
  ['a local repository', { type: 'git', url: 'file:///srv/git/secrets', rev: B }, undefined],
  ['a path input', { type: 'path', path: '/srv/flake' }, undefined],
];

describe('compare links', () => {
  it.each(cases)('%s', (_name, locked, expected) => {
    const repository = forgeRepository(locked);
    expect(repository ? compareUrl(repository, A, B) : undefined).toBe(expected);
  });

  it('links the commit itself on each forge', () => {
    const gitlab = forgeRepository({ type: 'gitlab', owner: 'a', repo: 'b' });
    const sourcehut = forgeRepository({ type: 'sourcehut', owner: '~a', repo: 'b' });
    expect(gitlab && commitUrl(gitlab, B)).toBe(`https://gitlab.com/a/b/-/commit/${B}`);
    expect(sourcehut && commitUrl(sourcehut, B)).toBe(`https://git.sr.ht/~a/b/commit/${B}`);
  });

  it('takes owner, repo and host from the original ref when the lock lacks them', () => {
    const repository = forgeRepository({ type: 'github', rev: B } as SourceAttrs, {
      type: 'github',
      owner: 'o',
      repo: 'r',
      host: 'github.example.com',
    });
    expect(repository).toEqual({ forge: 'github', host: 'github.example.com', owner: 'o', repo: 'r' });
  });
});

import { describe, expect, it } from 'vitest';
import { privateInputs } from '../../src/cli/init/private-inputs.js';

const LOCK = JSON.stringify({
  version: 7,
  root: 'root',
  nodes: {
    root: {
      inputs: { nixpkgs: 'nixpkgs', secrets: 'secrets', modules: 'modules', corp: 'corp', local: 'local' },
    },
    nixpkgs: {
      locked: { type: 'github', owner: 'NixOS', repo: 'nixpkgs', rev: 'a'.repeat(40) },
      original: { type: 'github', owner: 'NixOS', repo: 'nixpkgs' },
    },
    secrets: {
      flake: false,
      locked: { type: 'git', url: 'ssh://git@github.com/alice/nix-secrets', rev: 'b'.repeat(40) },
      original: { type: 'git', url: 'ssh://git@github.com/alice/nix-secrets' },
    },
    modules: {
      locked: {
        type: 'gitlab',
        owner: 'infra',
        repo: 'modules',
        host: 'git.corp.example',
        rev: 'c'.repeat(40),
      },
      original: { type: 'gitlab', owner: 'infra', repo: 'modules', host: 'git.corp.example' },
    },
    corp: {
      locked: { type: 'tarball', url: 'https://artifacts.corp.example/nix/corp.tar.gz' },
      original: { type: 'tarball', url: 'https://artifacts.corp.example/nix/corp.tar.gz' },
    },
    local: { locked: { type: 'path', path: '/srv/local' }, original: { type: 'path', path: '/srv/local' } },
  },
});

describe('privateInputs', () => {
  it('lists the locked inputs that look private by their URL, and not the public or local ones', () => {
    expect(privateInputs(LOCK, undefined)).toEqual([
      {
        name: 'secrets',
        url: 'git+ssh://git@github.com/alice/nix-secrets',
        needs: 'inputs-ssh-key',
        why: 'fetched over SSH',
      },
      {
        name: 'modules',
        url: 'gitlab:git.corp.example/infra/modules',
        needs: 'nix-access-tokens',
        why: 'git.corp.example is not a public forge',
      },
      {
        name: 'corp',
        url: 'tarball+https://artifacts.corp.example/nix/corp.tar.gz',
        needs: 'nix-access-tokens',
        why: 'artifacts.corp.example is not a public forge',
      },
    ]);
  });

  it('reads the inputs flake.nix declares but no lock holds yet', () => {
    const flakeNix = `{
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
      inputs.secrets = { url = "git+ssh://git@github.com/alice/nix-secrets"; flake = false; };
      inputs.home.url = "git+https://git.home.arpa/alice/home";
    }`;
    expect(privateInputs(undefined, flakeNix).map((input) => [input.name, input.why])).toEqual([
      ['home', 'git.home.arpa is not a public forge'],
      ['secrets', 'fetched over SSH'],
    ]);
  });
});

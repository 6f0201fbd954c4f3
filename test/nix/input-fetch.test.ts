import { describe, expect, it } from 'vitest';
import {
  fetchFailureReason,
  InputFetchError,
  lockedSources,
  looksLikeFetchFailure,
  withoutCredentials,
} from '../../src/nix/input-fetch.js';
import { FlakeLock } from '../../src/nix/lock-file.js';

const NONE = { sshKeyGiven: false, tokenHosts: [] };
const KEY = { sshKeyGiven: true, tokenHosts: [] };

// What Nix 2.8 and 2.26 printed here for a locked git+ssh input (see private-inputs.real-nix.test.ts).
const REFUSED_2_26 = `root@127.0.0.1: Permission denied (publickey).
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists.
error:
       … while fetching the input 'git+ssh://root@127.0.0.1:39131/srv/secrets.git?ref=main&rev=5de4e742493c731101b1cb0f9f74f53a6f07f7b1&shallow=1'

       error: Cannot find Git revision '5de4e742493c731101b1cb0f9f74f53a6f07f7b1' in ref 'main' of repository 'ssh://root@127.0.0.1:39131/srv/secrets.git'! Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit.`;
const UNKNOWN_HOST_2_8 = `No ED25519 host key is known for [127.0.0.1]:39131 and you have requested strict checking.
Host key verification failed.
fatal: Could not read from remote repository.

Please make sure you have the correct access rights
and the repository exists.
error: program 'git' failed with exit code 128
(use '--show-trace' to show detailed location information)`;
const MISSING_2_8 = `fatal: '/srv/nothere.git' does not appear to be a git repository
fatal: Could not read from remote repository.
error: program 'git' failed with exit code 128`;
const TARBALL_401_2_26 = `error:
       … while fetching the input 'https://git.example.org/api/archive.tar.gz'

       error: Failed to open archive (Source threw exception: error: unable to download 'https://git.example.org/api/archive.tar.gz?private_token=glpat-1': HTTP error 401

              response body:

              no)`;

describe('fetchFailureReason', () => {
  it.each([
    [
      REFUSED_2_26,
      KEY,
      "root@127.0.0.1: Permission denied (publickey): the key of 'inputs-ssh-key' was refused",
    ],
    [
      REFUSED_2_26,
      NONE,
      "root@127.0.0.1: Permission denied (publickey): no key was given: set 'inputs-ssh-key'",
    ],
    [
      UNKNOWN_HOST_2_8,
      KEY,
      "No ED25519 host key is known for [127.0.0.1]:39131: its host key is not in 'inputs-known-hosts'",
    ],
    [MISSING_2_8, KEY, "'/srv/nothere.git' does not appear to be a git repository"],
    [
      TARBALL_401_2_26,
      { sshKeyGiven: false, tokenHosts: ['git.example.org'] },
      "unable to download 'https://git.example.org/api/archive.tar.gz?private_token=***': HTTP error 401: " +
        "the token of 'nix-access-tokens' was refused",
    ],
  ])('reads past Nix to the line that says why (%#)', (stderr, context, reason) => {
    expect(looksLikeFetchFailure(stderr)).toBe(true);
    expect(fetchFailureReason(stderr, context)).toContain(reason);
  });

  it("falls back on Nix's own message, and tells an evaluation error from a fetch failure", () => {
    const stderr =
      "error: attribute 'motd' missing\n(use '--show-trace' to show detailed location information)";
    expect(looksLikeFetchFailure(stderr)).toBe(false);
    expect(fetchFailureReason(stderr, NONE)).toBe("attribute 'motd' missing");
  });
});

describe('withoutCredentials', () => {
  it('drops passwords and tokens from URLs, keeping the user', () => {
    expect(withoutCredentials('https://oauth2:glpat-secret@gitlab.com/me/x.git')).toBe(
      'https://oauth2@gitlab.com/me/x.git',
    );
    expect(withoutCredentials('ssh://git@github.com/me/x')).toBe('ssh://git@github.com/me/x');
    expect(withoutCredentials('https://h/x.tar.gz?access_token=abc&y=1')).toBe(
      'https://h/x.tar.gz?access_token=***&y=1',
    );
  });
});

describe('lockedSources', () => {
  it('lists each locked node once, by the first path reaching it, without path inputs', () => {
    const lock = FlakeLock.parse(
      JSON.stringify({
        version: 7,
        root: 'root',
        nodes: {
          root: { inputs: { secrets: 'secrets', tools: 'tools', local: 'local' } },
          secrets: {
            flake: false,
            locked: {
              type: 'git',
              url: 'ssh://git@github.com/me/secrets',
              rev: 'a'.repeat(40),
              narHash: 'sha256-x',
            },
            original: { type: 'git', url: 'ssh://git@github.com/me/secrets' },
          },
          tools: {
            inputs: { secrets: ['secrets'], nixpkgs: 'nixpkgs' },
            locked: { type: 'github', owner: 'me', repo: 'tools', rev: 'b'.repeat(40), narHash: 'sha256-y' },
          },
          nixpkgs: { locked: { type: 'github', owner: 'NixOS', repo: 'nixpkgs', rev: 'c'.repeat(40) } },
          local: { locked: { type: 'path', path: '/srv/local' } },
        },
      }),
    );
    expect(lockedSources(lock).map(({ input, label }) => [input, label])).toEqual([
      ['secrets', 'git+ssh://git@github.com/me/secrets'],
      ['tools', 'github:me/tools'],
      ['tools/nixpkgs', 'github:NixOS/nixpkgs'],
    ]);
  });
});

describe('InputFetchError', () => {
  it('is one line for one input and one line for several', () => {
    const one = new InputFetchError([
      { input: 'secrets', url: 'git+ssh://h/s', reason: 'Host key verification failed' },
    ]);
    expect(one.message).toBe(
      "The flake's input 'secrets' (git+ssh://h/s) could not be fetched: Host key verification failed",
    );
    const two = new InputFetchError([
      { input: 'a', url: 'github:me/a', reason: 'HTTP error 404' },
      { input: 'b', url: 'github:me/b', reason: 'HTTP error 401' },
    ]);
    expect(two.message).not.toContain('\n');
    expect(two.message).toContain("input 'a' (github:me/a) could not be fetched: HTTP error 404; input 'b'");
  });
});

import { field, secret, text } from '../core/inputs.js';
import { type AccessToken, type NixAccessSettings, parseAccessTokens } from './access.js';
import type { ReasonContext } from './input-fetch.js';

/**
 * The host keys github.com, gitlab.com and codeberg.org publish, as known_hosts lines. Each key's
 * SHA256 fingerprint is the one its host publishes (docs.github.com "GitHub's SSH key fingerprints",
 * docs.gitlab.com "GitLab.com settings", docs.codeberg.org "SSH fingerprint"):
 * test/nix/access-inputs.test.ts checks them with ssh-keygen.
 */
export const PUBLISHED_KNOWN_HOSTS = [
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  'github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
  'github.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=',
  'gitlab.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf',
  'gitlab.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkhtj3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY=',
  'gitlab.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhSevkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9',
  'codeberg.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVIC02vnjFyL+I4RHfvIGNtOgJMe769VTF1VR4EB3ZB',
  'codeberg.org ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBL2pDxWr18SoiDJCGZ5LmxPygTlPu+cCKSkpqkvCyQzl5xmIMeKNdfdBpfbCGDPoZQghePzFZkKJNR/v9Win3Sc=',
  'codeberg.org ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC8hZi7K1/2E2uBX8gwPRJAHvRAob+3Sn+y2hxiEhN0buv1igjYFTgFO2qQD8vLfU/HT/P/rqvEeTvaDfY1y/vcvQ8+YuUYyTwE2UaVU5aJv89y6PEZBYycaJCPdGIfZlLMmjilh/Sk8IWSEK6dQr+g686lu5cSWrFW60ixWpHpEVB26eRWin3lKYWSQGMwwKv4LwmW3ouqqs4Z4vsqRFqXJ/eCi3yhpT+nOjljXvZKiYTpYajqUC48IHAxTWugrKe1vXWOPxVXXMQEPsaIRc2hpK+v1LmfB7GnEGvF1UAKnEZbUuiD9PBEeD5a1MZQIzcoPWCrTxipEpuXQ5Tni4mN',
].join('\n');

/** `host=token` entries, Nix's `access-tokens`; never echoed in an error. */
function accessTokens() {
  return field({ secret: true }, (raw, fail): AccessToken[] => {
    const parsed = parseAccessTokens(raw);
    return Array.isArray(parsed)
      ? parsed
      : fail(`host=token entries like github.com=ghp_… (${parsed.invalid})`);
  });
}

/**
 * The inputs every action whose Nix fetches the flake's inputs takes, spread into its schema: the
 * key for git+ssh inputs, the host keys they are checked against, and Nix's access tokens.
 */
export const nixAccessInputs = {
  'inputs-ssh-key': secret(),
  'inputs-known-hosts': text({ rawDefault: PUBLISHED_KNOWN_HOSTS }),
  'nix-access-tokens': accessTokens(),
};

/** Settings without the Nix access inputs: for logic that gets the access through its process runner. */
export type WithoutNixAccess<S> = Omit<S, keyof typeof nixAccessInputs>;

export interface NixAccessInputSettings {
  'inputs-ssh-key'?: string | undefined;
  'inputs-known-hosts'?: string | undefined;
  'nix-access-tokens'?: AccessToken[] | undefined;
}

/** What a diagnosis of an input Nix could not fetch says about the access it had. */
export function accessGiven(settings: NixAccessInputSettings): ReasonContext {
  return {
    sshKeyGiven: settings['inputs-ssh-key'] !== undefined,
    tokenHosts: (settings['nix-access-tokens'] ?? []).map((entry) => entry.host),
  };
}

/**
 * The Nix access those inputs ask for. `githubToken` is lock-update's own token, used for github.com
 * when `inputs-use-token` is on and `nix-access-tokens` names no token for github.com.
 */
export function nixAccessSettings(settings: NixAccessInputSettings, githubToken?: string): NixAccessSettings {
  const tokens = [...(settings['nix-access-tokens'] ?? [])];
  if (githubToken !== undefined && !tokens.some((entry) => entry.host === 'github.com')) {
    tokens.push({ host: 'github.com', token: githubToken });
  }
  return {
    ...(settings['inputs-ssh-key'] === undefined ? {} : { sshKey: settings['inputs-ssh-key'] }),
    ...(settings['inputs-known-hosts'] === undefined ? {} : { knownHosts: settings['inputs-known-hosts'] }),
    ...(tokens.length === 0 ? {} : { accessTokens: tokens }),
  };
}

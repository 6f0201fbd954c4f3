import { describe, expect, it } from 'vitest';
import { AWS_SDK_VARIABLES, childEnvironment } from '../../src/core/child-environment.js';

const STEP = {
  PATH: '/usr/bin',
  AWS_ACCESS_KEY_ID: 'AKIA1',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'session',
  AWS_PROFILE: 'ci',
  CACHIX_AUTH_TOKEN: 'cachix',
  'INPUT_SIGNING-KEY': 'key',
};

describe('the AWS SDK variables', () => {
  it('reach role nix only, beside the role’s own variables', () => {
    const nix = childEnvironment(STEP, { role: 'nix' }, { nix: { NIX_USER_CONF_FILES: '/p/nix.conf' } });
    expect(nix).toEqual({
      PATH: '/usr/bin',
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_PROFILE: 'ci',
      NIX_USER_CONF_FILES: '/p/nix.conf',
    });
    expect(childEnvironment(STEP, {})).toEqual({ PATH: '/usr/bin' });
  });

  it('do not pass to a clean environment, and a call may still remove one', () => {
    expect(childEnvironment(STEP, { role: 'nix', cleanEnv: true })).toEqual({});
    expect(childEnvironment(STEP, { role: 'nix', env: { AWS_PROFILE: undefined } })).not.toHaveProperty(
      'AWS_PROFILE',
    );
  });

  it('are the credential, region and endpoint variables the SDK reads', () => {
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_ROLE_ARN',
      'AWS_DEFAULT_REGION',
    ]) {
      expect(AWS_SDK_VARIABLES).toContain(name);
    }
    expect(AWS_SDK_VARIABLES.every((name) => name.startsWith('AWS_'))).toBe(true);
  });
});

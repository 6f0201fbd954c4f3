import { describe, expect, it } from 'vitest';
import { stepCacheAccess, stepVariables } from '../../src/actions/step-environment.js';
import { RecordingLogger } from '../../src/core/logger.js';

describe('stepVariables', () => {
  it('takes the named variables from the step, masked, and says which are not set', () => {
    const logger = new RecordingLogger();
    const variables = stepVariables(['CACHIX_AUTH_TOKEN', 'ATTIC_TOKEN'], 'push-env', logger, {
      CACHIX_AUTH_TOKEN: 'tok',
      OTHER_SECRET: 'no',
    });
    expect(variables).toEqual({ CACHIX_AUTH_TOKEN: 'tok' });
    expect(logger.secrets.redact('tok')).not.toContain('tok');
    expect(logger.lines.map((line) => line.message).join('\n')).toContain(
      "Input 'push-env' names ATTIC_TOKEN, which this step's environment does not set",
    );
  });
});

describe('stepCacheAccess', () => {
  it('gives the token to the named caches and the substituters of NIX_CONFIG', () => {
    const logger = new RecordingLogger();
    const access = stepCacheAccess({ 'cache-token': 't0k' }, logger, ['https://push.example.org/x'], {
      NIX_CONFIG: 'extra-substituters = https://attic.lan/fleet',
    });
    expect(access).toEqual({
      netrc: 'machine push.example.org password t0k\nmachine attic.lan password t0k\n',
    });
    expect(logger.lines.map((line) => line.message).join('\n')).not.toContain('netrc-file');
  });

  it('says when NIX_CONFIG names a netrc-file, which would hide the one flakeflow gives Nix', () => {
    const logger = new RecordingLogger();
    stepCacheAccess({ netrc: 'machine a.org password p' }, logger, [], {
      NIX_CONFIG: 'netrc-file = /tmp/old',
    });
    expect(logger.lines.map((line) => line.message).join('\n')).toContain('NIX_CONFIG sets netrc-file');
  });
});

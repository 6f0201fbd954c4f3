import { describe, expect, it } from 'vitest';
import { parseRealisationPlan } from '../../src/nix/store.js';

describe('parseRealisationPlan', () => {
  it('splits what `nix build --dry-run` would build from what it would fetch, Nix 2.8 to 2.26 alike', () => {
    const stderr = [
      'this derivation will be built:',
      '  /nix/store/0rdrf9rxyd5y2h8id5pna61jcjfh3ib9-dry.drv',
      'these 2 paths will be fetched (0.06 MiB download, 0.06 MiB unpacked):',
      '  /nix/store/k1f0ar00vkx4fxkjvmfmwb6ssfipnxml-fleet-base',
      '  /nix/store/aas6bf6x5hcmbaczlb1296qqdhps0mk4-nixos-system-db-1-ok',
      "warning: Git tree '/src' is dirty",
      '',
    ].join('\n');
    expect(parseRealisationPlan(stderr)).toEqual({
      willBuild: ['/nix/store/0rdrf9rxyd5y2h8id5pna61jcjfh3ib9-dry.drv'],
      willFetch: [
        '/nix/store/k1f0ar00vkx4fxkjvmfmwb6ssfipnxml-fleet-base',
        '/nix/store/aas6bf6x5hcmbaczlb1296qqdhps0mk4-nixos-system-db-1-ok',
      ],
    });
    expect(parseRealisationPlan('')).toEqual({ willBuild: [], willFetch: [] });
  });
});

import { beforeAll, expect, it } from 'vitest';
import type { NixCli } from '../../src/nix/cli.js';
import { NixError } from '../../src/nix/errors.js';
import { requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';

const derivation = (script: string) =>
  `builtins.derivation { name = "probe"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script)} ]; }`;

describeEachVersion(NIX_VERSIONS, 'NixCli against the real nix', (version) => {
  let nix: NixCli;
  beforeAll(async () => {
    ({ nix } = await requireNix());
  });

  it('reads the installed version', async () => {
    const found = await nix.version();
    expect(found.text).toMatch(version.versionLine);
    expect(`Nix ${found.major}.${found.minor}`).toBe(version.label);
  });

  it('evaluates an expression to JSON, with --apply', async () => {
    await expect(nix.evalJson({ expr: '{ a = [ 1 "two" ]; }' })).resolves.toEqual({ a: [1, 'two'] });
    await expect(nix.evalJson({ expr: '[ 1 2 3 ]' }, { apply: 'builtins.length' })).resolves.toBe(3);
  });

  it('reports an evaluation error with Nix’s message', async () => {
    const failure = await nix.evalJson({ expr: 'let x = 1; in x + y' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NixError);
    const { nixMessage } = failure as NixError;
    expect(nixMessage).toMatch(/^error: undefined variable 'y'/);
    expect(nixMessage).not.toMatch(/show-trace/);
  });

  it('builds offline and reports the output path', async () => {
    const [result] = await nix.build([`--expr`, derivation(`echo built > $out`)]);
    expect(result?.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-probe\.drv$/);
    expect(result?.outputs.out).toMatch(/^\/nix\/store\/[a-z0-9]{32}-probe$/);
  });

  it('reports a failing build with the builder’s last log lines', async () => {
    const failure = await nix
      .build(['--expr', derivation('echo "disk full, said the builder" >&2; exit 3')])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NixError);
    const { nixMessage } = failure as NixError;
    expect(nixMessage).toMatch(/^error: builder for '.*-probe\.drv' failed with exit code 3/);
    expect(nixMessage).toContain('disk full, said the builder');
    expect(nixMessage).not.toMatch(/^building '/m);
  });
});

import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProgram } from '../../src/core/programs.js';
import { generateFleet } from '../../src/demo/generate-fleet.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { editHostModule, runHosts } from './support.js';

describeEachVersion(NIX_VERSIONS, 'hosts with nix-eval-jobs on real Nix', () => {
  const fakes = fileURLToPath(new URL('./fakes', import.meta.url));
  let tempDir: string;

  beforeAll(async () => {
    await requireNix();
    tempDir = await makeTempDir('hosts-eval-jobs');
    await chmod(join(fakes, 'nix-eval-jobs'), 0o755);
  });
  afterAll(() => removeTempDir(tempDir));

  describe('hosts with nix-eval-jobs on PATH', () => {
    it('finds nix-eval-jobs on PATH only when it is there', () => {
      expect(findProgram('nix-eval-jobs', `/nonexistent:${fakes}`)).toBe(join(fakes, 'nix-eval-jobs'));
      expect(findProgram('nix-eval-jobs', '/nonexistent')).toBeUndefined();
    });

    it('gives the same hosts as nix eval, each error on its own host, in one nix-eval-jobs run', async () => {
      const fleet = await generateFleet(join(tempDir, 'fleet'), 10);
      await editHostModule(
        fleet.flakeDir,
        'srv-005',
        (text) => text.replace('"srv-005";', '({ }).nope;'),
        'break srv-005',
      );
      const plain = (await runHosts(fleet.flakeDir, tempDir, { exclude: 'dev@*' })).result;
      const log = join(tempDir, 'eval-jobs.log');
      // flakeflow passes no test variable on to what it starts: the fake learns its log from a wrapper.
      const wrapper = join(tempDir, 'nix-eval-jobs');
      await writeFile(
        wrapper,
        `#!/bin/sh\nFAKE_EVAL_JOBS_LOG='${log}' exec '${join(fakes, 'nix-eval-jobs')}' "$@"\n`,
        { mode: 0o755 },
      );
      const { result } = await runHosts(
        fleet.flakeDir,
        tempDir,
        {
          exclude: 'dev@*',
          'nix-options': '--option eval-cache false',
          'eval-workers': '3',
          'eval-max-memory': '1.5GiB',
        },
        { evalJobsCommand: wrapper },
      );
      expect(result.evaluator).toBe('nix-eval-jobs');
      const strip = (hosts: typeof result.hosts) => hosts.map(({ error: _error, ...host }) => host);
      expect(strip(result.hosts)).toEqual(strip(plain.hosts));
      const failed = result.hosts.find((host) => host.host === 'srv-005');
      expect(failed?.status).toBe('failed');
      expect(failed?.error).toMatch(/^error: attribute 'nope' missing/);
      expect(plain.hosts.find((host) => host.host === 'srv-005')?.error).toMatch(
        /^error: attribute 'nope' missing/,
      );
      expect(result.hosts.find((host) => host.host === 'dev@ws-010')).toMatchObject({ status: 'skipped' });
      const calls = (await readFile(log, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[]);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.slice(0, 8)).toEqual([
        '--option',
        'extra-experimental-features',
        'nix-command flakes',
        '--option',
        'eval-cache',
        'false',
        '--impure',
        '--meta',
      ]);
      expect(calls[0]?.at(-1)).toContain('format = "jobs";');
      expect(calls[0]?.slice(10, 14)).toEqual(['--workers', '3', '--max-memory-size', '1536']);
    });
  });
});

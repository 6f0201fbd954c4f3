/**
 * Faults the capability suites do not already provoke, each through the built bundle as the runner
 * runs it. docs/RELIABILITY.md lists every fault with the test that proves it, these and theirs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProgram } from '../../src/core/programs.js';
import { advanceInput, materializeExampleFleet } from '../../src/demo/example-fleet.js';
import { fakeDeploy, KNOWN_HOSTS } from '../deploy/support.js';
import { FAKE_TOKEN, startFakeGitHub } from '../fake-github/index.js';
import { errorLines, runAction } from '../harness/run-action.js';
import { checkoutFiles } from '../lock/github-fixture.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS, pathFor } from '../support/versions.js';
import { FleetTemplate, requireBundles } from './support.js';

const SLUG = 'octo-org/homelab';

let dir: string;
let template: FleetTemplate;
/** Each version's flakes get directories of their own. */
let flakes = 0;

beforeAll(async () => {
  requireBundles(['build', 'lock-update', 'deploy']);
  dir = await makeTempDir('hardening-faults');
  template = await FleetTemplate.create(join(dir, 'fleet'));
});
afterAll(() => removeTempDir(dir));

/** The parent of a process, from /proc: the builder's parent is the `nix build` that forked it. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
}

async function waitFor(file: string, timeoutMs: number): Promise<string> {
  const started = Date.now();
  while (!existsSync(file) || (await readFile(file, 'utf8')).trim() === '') {
    if (Date.now() - started > timeoutMs) throw new Error(`${file} did not appear in ${timeoutMs} ms`);
    await sleep(50);
  }
  return (await readFile(file, 'utf8')).trim();
}

describeEachVersion(
  NIX_VERSIONS,
  'faults',
  (version) => {
    describe('Nix killed mid-build', () => {
      it.concurrent('fails the build with one clear line naming what was built and the signal, and still writes the result-file', async () => {
        const flake = join(dir, `slow-flake-${++flakes}`);
        // Nix run as root builds as a nixbld user, who must be able to leave its pid here.
        const markerDir = await makeTempDir('hardening-builder');
        await chmod(markerDir, 0o777);
        const marker = join(markerDir, 'pid');
        await mkdir(flake, { recursive: true });
        // A fresh nonce each run: the derivation is never already in the store.
        await writeFile(
          join(flake, 'flake.nix'),
          `{
    outputs = { self }: {
      packages.x86_64-linux.slow = builtins.derivation {
        name = "slow-${randomBytes(4).toString('hex')}";
        system = "x86_64-linux";
        builder = "/bin/sh";
        args = [ "-c" "echo $$ > ${marker}; ${findProgram('sleep', process.env.PATH)} 60; echo done > $out" ];
      };
    };
  }
  `,
        );
        const building = runAction({
          action: 'build',
          workspace: flake,
          inputs: { attr: 'packages.x86_64-linux.slow' },
          env: { PATH: pathFor(version) },
          timeoutMs: 90_000,
        });
        let builder: number | undefined;
        try {
          builder = Number(
            await Promise.race([
              waitFor(marker, 60_000),
              building.then((early) => {
                throw new Error(
                  `the build ended before its builder started:\n${early.stdout}\n${early.stderr}`,
                );
              }),
            ]),
          );
          const nix = parentOf(builder);
          expect(commandOf(nix)).toMatch(/\bnix\b.*\bbuild\b/);
          // The version under test is the one that built: its binary, not just its name on PATH.
          expect(realpathSync(`/proc/${nix}/exe`)).toBe(
            realpathSync(findProgram('nix', pathFor(version)) ?? ''),
          );
          process.kill(nix, 'SIGKILL');
        } finally {
          await removeTempDir(markerDir);
        }
        const run = await building;
        try {
          process.kill(builder, 'SIGTERM'); // orphaned by its nix: ours to end
        } catch {
          // already gone with its parent
        }

        expect(run.exitCode).toBe(1);
        expect(errorLines(run)).toEqual([
          'nix was killed by SIGKILL without an error message',
          'packages.x86_64-linux.slow failed: nix was killed by SIGKILL without an error message',
        ]);
        expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
        const result = JSON.parse(await readFile(run.outputs['result-file'] as string, 'utf8')) as {
          results: { status: string; error?: string }[];
        };
        expect(result.results[0]).toMatchObject({
          status: 'failed',
          error: expect.stringMatching(/SIGKILL/),
        });
      });
    });

    describe('GitHub failing in the middle of a lock update', () => {
      it.concurrent('retries 500, 502 and both rate limits, and opens exactly one pull request with one commit', async () => {
        const fleet = await materializeExampleFleet(join(dir, `lock-fleet-${++flakes}`));
        const server = await startFakeGitHub({
          repositories: [{ slug: SLUG, files: await checkoutFiles(fleet.flakeDir) }],
          token: FAKE_TOKEN,
        });
        try {
          const faults = {
            listPulls: server.injectFault({ method: 'GET', path: `/repos/${SLUG}/pulls`, status: 500 }),
            createRef: server.injectFault({ method: 'POST', path: `/repos/${SLUG}/git/refs`, status: 502 }),
            commit: server.injectFault({
              graphqlOperation: 'createCommitOnBranch',
              status: 403,
              rateLimit: 'secondary',
              retryAfter: 1,
            }),
            createPull: server.injectFault({
              method: 'POST',
              path: `/repos/${SLUG}/pulls`,
              status: 403,
              rateLimit: 'primary',
              resetAfter: 1,
            }),
          };
          await advanceInput(fleet, 'dotfiles');
          const run = await runAction({
            action: 'lock-update',
            workspace: fleet.flakeDir,
            inputs: { 'auto-merge': 'false', 'stale-days': '0' },
            githubToken: FAKE_TOKEN,
            env: {
              PATH: pathFor(version),
              GITHUB_API_URL: server.url,
              GITHUB_GRAPHQL_URL: server.graphqlUrl,
            },
          });
          expect(errorLines(run)).toEqual([]);
          expect(run.exitCode).toBe(0);
          for (const [name, fault] of Object.entries(faults)) expect(fault.hits, name).toBe(1);
          const repo = server.repo(SLUG);
          expect(repo.pullRequests({ state: 'all' })).toHaveLength(1);
          expect(run.outputs['pull-request-operation']).toBe('created');
          const branch = repo.branch('flakeflow/lock-update') as string;
          expect(repo.git.commitsBetween(repo.branch('main') as string, branch)).toHaveLength(1);
          const warnings = run.annotations.filter((annotation) => annotation.command === 'warning');
          expect(warnings.map((warning) => warning.message)).toEqual(
            expect.arrayContaining([
              expect.stringMatching(/^GitHub secondary rate limit for POST .*graphql; retrying in 1s$/),
              expect.stringMatching(/^GitHub rate limit reached for POST .*\/pulls; retrying in \d+s$/),
            ]),
          );
          server.assertNoViolations();
        } finally {
          await server.close();
        }
      });
    });

    describe('deploy: a node failing in wave 2', () => {
      it.concurrent('never starts wave 3, and reports waves 1 and 2 with the rest skipped', async () => {
        const checkout = await template.checkout();
        const fake = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), {
          latencyMs: 60,
          nodes: { homeserver: { mode: 'fail' } },
        });
        const run = await runAction({
          action: 'deploy',
          workspace: checkout.workspace,
          env: { ...fake.env, PATH: pathFor(version, fake.env.PATH) },
          inputs: { strategy: 'waves', 'known-hosts': KNOWN_HOSTS },
        });
        expect(run.exitCode).toBe(1);
        expect(errorLines(run).at(-1)).toBe(
          'Deploy failed: homeserver failed; 2 node(s) not deployed (halted after homeserver failed)',
        );
        expect((await fake.invocations()).map((call) => call.nodes.join(','))).toEqual([
          'media',
          'homeserver',
        ]);
        const report = JSON.parse(await readFile(run.outputs.report as string, 'utf8')) as {
          nodes: { node: string; wave: number; status: string }[];
        };
        expect(report.nodes.map(({ node, wave, status }) => `${wave} ${node} ${status}`)).toEqual([
          '1 media deployed',
          '2 homeserver failed',
          '3 gateway skipped',
          '3 pi skipped',
        ]);
        expect(run.summary).toContain('### Wave 1');
        expect(run.summary).toContain('### Wave 2');
        expect(run.summary).toMatch(/\| `homeserver` \| ❌ failed \|/);
        expect(run.summary).toMatch(
          /\| `gateway` \| ⏭️ skipped \| {2}\| not started: halted after homeserver failed \|/,
        );
      });
    });

    describe('deploy: cancelled (SIGTERM)', () => {
      it.concurrent('writes the partial report and summary, and the post step removes the SSH key', async () => {
        const checkout = await template.checkout();
        const fake = await fakeDeploy(join(checkout.rootDir, 'fake-deploy'), { latencyMs: 4000 });
        const key =
          '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-but-a-secret\n-----END OPENSSH PRIVATE KEY-----\n';
        const run = await runAction({
          action: 'deploy',
          workspace: checkout.workspace,
          env: { ...fake.env, PATH: pathFor(version, fake.env.PATH) },
          inputs: { 'known-hosts': KNOWN_HOSTS, 'ssh-private-key': key },
          cancel: { afterMs: 3000, signal: 'SIGTERM' },
        });
        expect(run.exitCode).toBe(1);
        expect(errorLines(run).at(-1)).toBe('Deploy failed: 3 node(s) not deployed (the run was cancelled)');
        const report = JSON.parse(await readFile(run.outputs.report as string, 'utf8')) as {
          nodes: { node: string; status: string }[];
        };
        expect(report.nodes.map(({ node, status }) => `${node} ${status}`)).toEqual([
          'media deployed',
          'homeserver skipped',
          'gateway skipped',
          'pi skipped',
        ]);
        expect(run.summary).toContain('the run was cancelled');
        const cleanup = JSON.parse(run.state['cleanup-paths'] ?? '[]') as string[];
        expect(cleanup).toHaveLength(1);
        expect(run.post?.exitCode).toBe(0);
        for (const path of cleanup) expect(existsSync(path)).toBe(false);
      });
    });
  },
  { sideBySide: true },
);

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_HOSTS } from '../../src/demo/example-fleet.js';
import { makeTempDir, removeTempDir, requireNix } from '../support/nix.js';
import { describeEachVersion, NIX_VERSIONS } from '../support/versions.js';
import { CLI, type CliRun, REPO, runCli } from './support.js';

describeEachVersion(NIX_VERSIONS, 'the demo on real Nix', () => {
  let tempDir: string;

  beforeAll(async () => {
    await requireNix();
    tempDir = await makeTempDir('cli-demo');
  });
  afterAll(() => removeTempDir(tempDir));

  /** `npm start -- …`, as a user starts the demo after scripts/setup. */
  function npmStart(args: readonly string[]): Promise<CliRun> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    return new Promise((resolve, reject) => {
      const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: REPO, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    });
  }

  describe('npm start: flakeflow demo', () => {
    let run: CliRun;
    let dir: string;
    beforeAll(async () => {
      dir = join(tempDir, 'demo');
      run = await npmStart(['--dir', dir, '--apply-fake-deploy']);
    }, 120_000);

    it('runs the whole pipeline to completion and exits 0', () => {
      expect(run.exitCode, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
      for (const step of ['Gate', 'Hosts', 'Build', 'Report', 'Lock update', 'Deploy', 'Backups']) {
        expect(run.stdout).toMatch(new RegExp(`^ {2}${step} +(✅|⏭️|🗺️)`, 'm'));
      }
      expect(run.stdout).toContain('✓ the whole pipeline ran on this machine');
    });

    it('prints where the markdown and the HTML report are, and both name every host', async () => {
      const markdownPath = join(dir, 'report.md');
      const htmlPath = join(dir, 'report.html');
      expect(run.stdout).toContain(`Report: ${markdownPath}`);
      expect(run.stdout).toContain(htmlPath);
      const markdown = await readFile(markdownPath, 'utf8');
      const html = await readFile(htmlPath, 'utf8');
      for (const host of EXAMPLE_HOSTS) {
        expect(markdown).toContain(host.name);
        expect(html).toContain(host.name);
      }
    });

    it('shows the lock update, the canary deploy and the verified backups in the report', async () => {
      const markdown = await readFile(join(dir, 'report.md'), 'utf8');
      expect(markdown).toMatch(/## ✅ Lock update[\s\S]*\*\*secrets\*\*/);
      expect(markdown).toMatch(/## ✅ Deploy[\s\S]*Wave 1[\s\S]*`media`[\s\S]*Wave 2/);
      expect(markdown).toMatch(
        /## ✅ Backups[\s\S]*healthy: 4 snapshots of homeserver's immich and vaultwarden/,
      );
    });

    it('writes a self-contained HTML page: inline CSS, no scripts, images or stylesheets to fetch', async () => {
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<style>');
      expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=/i);
      expect(html).toMatch(/<table><thead><tr><th>Step<\/th>/);
    });

    it('reports a gate tool it cannot find as skipped, with how to install it', () => {
      expect(run.stdout).toMatch(/deadnix: install with nix profile install nixpkgs#deadnix/);
    });
  });

  describe('flakeflow demo --dir', () => {
    it('refuses a directory an earlier demo did not make', async () => {
      const dir = join(tempDir, 'precious');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'thesis.tex'), 'years of work');
      const run = await runCli(['demo', '--dir', dir], { cwd: tempDir });
      expect(run.exitCode).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        `error: ${dir} is not empty and was not made by flakeflow demo: give --dir a new directory`,
      ]);
      expect(await readFile(join(dir, 'thesis.tex'), 'utf8')).toBe('years of work');
    });
  });
});

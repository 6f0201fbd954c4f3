import { delimiter } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { SpawnProcessRunner, succeeded } from '../../src/core/process.js';

/**
 * One version of a tool the real-tool tests run against. The oldest comes from PATH (the machine's own,
 * Debian bookworm's); the newer one from the private prefix scripts/setup fills from Debian trixie.
 */
export interface ToolVersion {
  readonly tool: 'nix' | 'restic';
  /** Shown in test names: `(Nix 2.26)`. */
  readonly label: string;
  /** Put first on PATH while this version is tested; undefined: the machine's PATH as it is. */
  readonly binDir: string | undefined;
  /** What `nix --version` / `restic version` must print for the right binary to be the one found. */
  readonly versionLine: RegExp;
}

export const NIX_VERSIONS: readonly ToolVersion[] = [
  { tool: 'nix', label: 'Nix 2.8', binDir: undefined, versionLine: /^nix \(Nix\) 2\.8\.\d+$/m },
  {
    tool: 'nix',
    label: 'Nix 2.26',
    binDir: '/opt/flakeflow/nix-2.26.3/bin',
    versionLine: /^nix \(Nix\) 2\.26\.\d+$/m,
  },
];

export const RESTIC_VERSIONS: readonly ToolVersion[] = [
  { tool: 'restic', label: 'restic 0.14', binDir: undefined, versionLine: /^restic 0\.14\.\d+ /m },
  {
    tool: 'restic',
    label: 'restic 0.18',
    binDir: '/opt/flakeflow/restic-0.18.0/bin',
    versionLine: /^restic 0\.18\.\d+ /m,
  },
];

/** Versions tested together: one tool's, or Nix's and restic's for the tests that run both. */
export type Toolchain = ToolVersion | readonly ToolVersion[];

/** Nix and restic, oldest with oldest and newest with newest: a test running both meets every version. */
export const NIX_AND_RESTIC_VERSIONS: readonly (readonly ToolVersion[])[] = NIX_VERSIONS.map((nix, index) => [
  nix,
  RESTIC_VERSIONS[index] as ToolVersion,
]);

function toolsOf(versions: Toolchain): readonly ToolVersion[] {
  return 'tool' in versions ? [versions] : versions;
}

/** `Nix 2.26`, or `Nix 2.26, restic 0.18`: what a test name shows. */
export function labelOf(versions: Toolchain): string {
  return toolsOf(versions)
    .map((version) => version.label)
    .join(', ');
}

/** The PATH under which each of `versions` is the one a bare `nix` / `restic` finds. */
export function pathFor(versions: Toolchain, path = process.env.PATH ?? ''): string {
  return toolsOf(versions).reduce(
    (found, version) => (version.binDir ? [version.binDir, found].filter(Boolean).join(delimiter) : found),
    path,
  );
}

/** Fails, naming the fix, unless a bare `nix` / `restic` under `path` is exactly each of `versions`. */
export async function requireVersion(versions: Toolchain, path = pathFor(versions)): Promise<void> {
  for (const version of toolsOf(versions)) await requireTool(version, path);
}

async function requireTool(version: ToolVersion, path: string): Promise<void> {
  const args = version.tool === 'nix' ? ['--version'] : ['version'];
  let found: string;
  try {
    const result = await new SpawnProcessRunner(new RecordingLogger()).run(version.tool, args, {
      env: { PATH: path },
    });
    found = succeeded(result) ? result.stdout.trim() : `exit ${result.exitCode}: ${result.stderr.trim()}`;
  } catch (error) {
    found = String(error);
  }
  if (!version.versionLine.test(found)) {
    throw new Error(
      `These tests run ${version.label}${version.binDir ? ` from ${version.binDir}` : ' from PATH'}, but ` +
        `\`${version.tool} ${args.join(' ')}\` found ${found ? `"${found}"` : 'nothing'}. ` +
        'Run scripts/setup to install it; the tests are never skipped.',
    );
  }
}

/**
 * Within the calling `describe`, every process the code under test starts finds `version` first on
 * PATH: the capability code runs `nix` / `restic` by name and inherits the test process's environment
 * (the runner's and the harness's), exactly as on a runner whose PATH holds that version.
 * The describe fails loudly when the version is missing.
 */
export function useVersion(version: Toolchain): void {
  let original: string | undefined;
  beforeAll(async () => {
    original = process.env.PATH;
    const path = pathFor(version, original);
    await requireVersion(version, path);
    process.env.PATH = path;
  });
  afterAll(() => {
    process.env.PATH = original;
  });
}

/**
 * `describe(title (Nix 2.8))`, `describe(title (Nix 2.26))`, …: the body once per version, run with it.
 * `sideBySide` runs every test of every version at once (`describe.concurrent`): they share process.env,
 * so nothing switches PATH for them, and each passes `pathFor(version)` to what it starts.
 * Either way the describe fails loudly when the version is missing.
 */
export function describeEachVersion<V extends Toolchain>(
  versions: readonly V[],
  title: string,
  body: (version: V) => void,
  { sideBySide = false } = {},
): void {
  for (const version of versions) {
    (sideBySide ? describe.concurrent : describe)(`${title} (${labelOf(version)})`, () => {
      if (sideBySide) beforeAll(() => requireVersion(version));
      else useVersion(version);
      body(version);
    });
  }
}

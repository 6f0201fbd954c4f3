/** The restic a command runs on, from `restic version`: `restic 0.14.0 compiled with go1.19.8 on linux/amd64`. */
export interface ResticVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

const VERSION_LINE = /^restic (\d+)\.(\d+)(?:\.(\d+))?\S*/m;

export function parseResticVersion(output: string): ResticVersion {
  const match = VERSION_LINE.exec(output.trim());
  if (!match)
    throw new Error(`cannot read a restic version from \`restic version\` output: ${output.trim()}`);
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    text: match[0],
  };
}

export function resticAtLeast(version: ResticVersion, minor: number, patch = 0): boolean {
  if (version.major !== 0) return version.major > 0;
  return version.minor > minor || (version.minor === minor && version.patch >= patch);
}

/** What the command line and the exit codes of this restic can do; restic.md lists the sources. */
export interface ResticFeatures {
  /** `--retry-lock DURATION`, from 0.16. */
  retryLock: boolean;
  /** `check --json` prints a summary object, from 0.18 (older versions ignore the flag). */
  checkJson: boolean;
  /** Exit code 10 (no repository) and 11 (lock failed), from 0.17. */
  repositoryExitCodes: boolean;
  /** Exit code 12 (wrong password), from 0.17.1. */
  passwordExitCode: boolean;
}

export function resticFeatures(version: ResticVersion): ResticFeatures {
  return {
    retryLock: resticAtLeast(version, 16),
    checkJson: resticAtLeast(version, 18),
    repositoryExitCodes: resticAtLeast(version, 17),
    passwordExitCode: resticAtLeast(version, 17, 1),
  };
}

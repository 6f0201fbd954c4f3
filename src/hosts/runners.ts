/** `runs-on` for a matrix entry: one label or the labels a self-hosted runner must all have. */
export type RunnerLabels = string | string[];

export const DEFAULT_RUNNERS: Readonly<Record<string, RunnerLabels>> = {
  'x86_64-linux': 'ubuntu-latest',
  'aarch64-linux': 'ubuntu-24.04-arm',
  'aarch64-darwin': 'macos-latest',
  'x86_64-darwin': 'macos-15-intel',
};

/** The user's `runners` map merged over the defaults: the user's entry wins for a system. */
export function runnerMap(given: Readonly<Record<string, RunnerLabels>> = {}): Record<string, RunnerLabels> {
  return { ...DEFAULT_RUNNERS, ...given };
}

export function runnerFor(
  runners: Readonly<Record<string, RunnerLabels>>,
  system: string,
): RunnerLabels | undefined {
  return runners[system];
}

/**
 * Where an eval-only host's job runs: on the x86_64-linux runner, the cheapest place to evaluate,
 * else on the first runner the map has.
 */
export function evalRunner(runners: Readonly<Record<string, RunnerLabels>>): RunnerLabels | undefined {
  return runners['x86_64-linux'] ?? Object.values(runners)[0];
}

export function runnerText(runner: RunnerLabels): string {
  return Array.isArray(runner) ? runner.join(', ') : runner;
}

/** A key equal for equal label sets, whatever their order. */
export function runnerKey(runner: RunnerLabels): string {
  return JSON.stringify(Array.isArray(runner) ? [...runner].sort() : [runner]);
}

import { type ProcessResult, type ProcessRunner, succeeded } from '../core/process.js';
import { type NixCliOptions, type NixRunOptions, nixArgs, runNix } from './cli.js';
import { NixError } from './errors.js';
import { isAtLeast, type NixVersion } from './version.js';

export type NixStoreOptions = NixCliOptions;

type StoreRunOptions = Pick<NixRunOptions, 'signal' | 'group' | 'timeoutMs' | 'env' | 'onLine' | 'onSpawn'>;

/** `nix path-info --json` validity: a list with `valid: false` (Nix < 2.19), else a map with null. */
export function validPathsOf(json: unknown): string[] {
  if (Array.isArray(json)) {
    return json
      .filter((entry): entry is { path: string; valid?: boolean } => typeof entry?.path === 'string')
      .filter((entry) => entry.valid !== false)
      .map((entry) => entry.path);
  }
  if (json && typeof json === 'object') {
    return Object.entries(json as Record<string, unknown>)
      .filter(([, info]) => info !== null)
      .map(([path]) => path);
  }
  return [];
}

/** `closureSize` per path from `nix path-info -S --json`, in either shape. */
export function closureSizesOf(json: unknown): Map<string, number> {
  const sizes = new Map<string, number>();
  const entries: [string, unknown][] = Array.isArray(json)
    ? json.map((entry: { path?: string }) => [entry?.path ?? '', entry])
    : Object.entries((json ?? {}) as Record<string, unknown>);
  for (const [path, info] of entries) {
    const size = (info as { closureSize?: unknown } | null)?.closureSize;
    if (path && typeof size === 'number') sizes.set(path, size);
  }
  return sizes;
}

/** What `nix build --dry-run` says it would do. */
export interface RealisationPlan {
  willBuild: string[];
  willFetch: string[];
}

/** `this derivation will be built:` / `these N paths will be fetched (…):`, each followed by indented paths. */
export function parseRealisationPlan(stderr: string): RealisationPlan {
  const plan: RealisationPlan = { willBuild: [], willFetch: [] };
  let section: string[] | undefined;
  for (const line of stderr.split('\n')) {
    if (/will be built:$/.test(line)) section = plan.willBuild;
    else if (/will be fetched/.test(line)) section = plan.willFetch;
    else if (/^\s+\/\S+$/.test(line)) section?.push(line.trim());
    else section = undefined;
  }
  return plan;
}

/**
 * The installable that builds a derivation's outputs without evaluating anything: `drv^*` since
 * Nix 2.13; before, the bare `.drv` path meant its outputs (2.15 made it mean the file itself).
 */
export function derivationInstallable(version: NixVersion, drvPath: string): string {
  return isAtLeast(version, 2, 13) ? `${drvPath}^*` : drvPath;
}

/**
 * The store commands besides `NixCli`'s: path-info, diff-closures, copy and sign, run with its
 * process and error conventions (`runNix`). Their command lines are the same from Nix 2.8 to 2.31;
 * only path-info's JSON changed shape.
 */
export class NixStore {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly options: NixStoreOptions = {},
  ) {}

  /** Which of `paths` are valid in `store` (the local store by default). Never substitutes. */
  async validPaths(
    paths: readonly string[],
    store?: string,
    options: StoreRunOptions = {},
  ): Promise<string[]> {
    if (paths.length === 0) return [];
    const args = ['path-info', '--json', ...(store ? ['--store', store] : []), ...paths];
    const result = await this.run(args, options, false);
    if (succeeded(result)) return validPathsOf(JSON.parse(result.stdout));
    // Some Nix versions fail the whole call when one path is missing: ask one by one.
    if (paths.length === 1) {
      const error = NixError.fromResult(result);
      if (/is not valid|does not exist|don't know how to build|no substituter/.test(error.nixMessage))
        return [];
      throw error;
    }
    const each = await Promise.all(paths.map((path) => this.validPaths([path], store, options)));
    return each.flat();
  }

  async closureSize(path: string, options: StoreRunOptions = {}): Promise<number> {
    const result = await this.run(['path-info', '--json', '--closure-size', path], options);
    const size = closureSizesOf(JSON.parse(result.stdout)).get(path);
    if (size === undefined) throw new Error(`nix path-info reported no closure size for ${path}`);
    return size;
  }

  /** Fetches a store path from the substituters, building nothing; false when none has it. */
  async substitute(path: string, options: StoreRunOptions = {}): Promise<boolean> {
    const result = await this.run(['build', '--no-link', '--max-jobs', '0', path], options, false);
    return succeeded(result);
  }

  /**
   * What building `installables` would take, building nothing (`nix build --dry-run`): the
   * derivations it would build and the paths it would fetch from the substituters.
   */
  async realisationPlan(
    installables: readonly string[],
    options: StoreRunOptions = {},
  ): Promise<RealisationPlan> {
    if (installables.length === 0) return { willBuild: [], willFetch: [] };
    const result = await this.run(['build', '--dry-run', '--no-link', ...installables], options);
    return parseRealisationPlan(result.stderr);
  }

  /** The system a derivation is built on, from `nix derivation show` (`nix show-derivation` before 2.15). */
  async derivationSystem(
    version: NixVersion,
    drvPath: string,
    options: StoreRunOptions = {},
  ): Promise<string | undefined> {
    const command = isAtLeast(version, 2, 15)
      ? ['derivation', 'show', drvPath]
      : ['show-derivation', drvPath];
    const result = await this.run(command, options);
    const shown = JSON.parse(result.stdout) as Record<string, { system?: string; platform?: string }>;
    const derivation = Object.values(shown)[0];
    return derivation?.system ?? derivation?.platform;
  }

  async diffClosures(before: string, after: string, options: StoreRunOptions = {}): Promise<string> {
    const result = await this.run(['store', 'diff-closures', before, after], options);
    return result.stdout;
  }

  /**
   * Copies `paths` with their closures to the store `to` (e.g. `ssh://root@web-1`, whose ssh takes
   * its options from NIX_SSHOPTS in `options.env`); with `derivation`, the derivations themselves;
   * with `substituteOnDestination`, the destination first fetches what its own substituters hold
   * (its warnings, such as an unreachable cache, come back in the result's stderr).
   */
  async copy(
    paths: readonly string[],
    to: string,
    options: StoreRunOptions & { derivation?: boolean; substituteOnDestination?: boolean } = {},
  ): Promise<ProcessResult> {
    const { derivation, substituteOnDestination, ...run } = options;
    return this.run(
      [
        'copy',
        ...(derivation ? ['--derivation'] : []),
        ...(substituteOnDestination ? ['--substitute-on-destination'] : []),
        '--to',
        to,
        ...paths,
      ],
      run,
    );
  }

  /** Signs the closures of `paths` in the local store with the key in `keyFile`. */
  async sign(paths: readonly string[], keyFile: string, options: StoreRunOptions = {}): Promise<void> {
    await this.run(['store', 'sign', '--key-file', keyFile, '--recursive', ...paths], options);
  }

  private run(args: readonly string[], options: StoreRunOptions, check = true): Promise<ProcessResult> {
    const [first, second] = args;
    const subcommand =
      first === 'store' || first === 'derivation' ? [first, second as string] : [first as string];
    const commandLine = nixArgs(subcommand, this.options, args.slice(subcommand.length));
    return runNix(this.runner, this.options, commandLine, options, check);
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NixCli } from '../nix/cli.js';
import { NixError } from '../nix/errors.js';
import { readOutPath } from '../nix/fleet-hosts.js';
import type { NixStore } from '../nix/store.js';
import type { ClosureComparison } from './build-result.js';
import { parseDiffClosures } from './diff-closures.js';

export interface CompareRequest {
  revision: string;
  /** The flake directory in a checkout of `revision`. */
  baseFlakeDir: string;
  attrPath?: readonly string[];
  outPath: string;
  closureSize?: number;
  nix: NixCli;
  store: NixStore;
  signal?: AbortSignal;
}

const MISSING_ATTRIBUTE = /does not provide attribute|attribute '[^']+' missing/;

/**
 * The closure diff against the same attribute at `revision`, when its output can be had without
 * building it: from this store or a substituter. Otherwise says why there is none.
 */
export async function compareClosures(request: CompareRequest): Promise<ClosureComparison> {
  const { revision, nix, store, signal } = request;
  const unavailable = (reason: string): ClosureComparison => ({
    revision,
    status: 'unavailable',
    reason,
    changes: [],
    diff: '',
  });
  if (!request.attrPath) return unavailable(`no host or attribute to look up at ${revision}`);
  if (!existsSync(join(request.baseFlakeDir, 'flake.nix')))
    return unavailable(`${revision} has no flake.nix here`);

  let baseOutPath: string;
  try {
    baseOutPath = await readOutPath(nix, request.baseFlakeDir, request.attrPath, { signal });
  } catch (error) {
    if (!(error instanceof NixError)) throw error;
    if (MISSING_ATTRIBUTE.test(error.nixMessage)) {
      return { revision, status: 'new', reason: `not in ${revision}`, changes: [], diff: '' };
    }
    return unavailable(`it does not evaluate at ${revision}: ${error.nixMessage.split('\n')[0]}`);
  }

  const local = (await store.validPaths([baseOutPath], undefined, { signal })).includes(baseOutPath);
  if (!local && !(await store.substitute(baseOutPath, { signal }))) {
    return {
      ...unavailable(
        `its output at ${revision} (${baseOutPath}) is neither in this store nor in a substituter: ` +
          `build ${revision} with push-to set so the next comparison has it`,
      ),
      baseOutPath,
    };
  }
  const [baseClosureSize, diff] = await Promise.all([
    store.closureSize(baseOutPath, { signal }),
    baseOutPath === request.outPath
      ? Promise.resolve('')
      : store.diffClosures(baseOutPath, request.outPath, { signal }),
  ]);
  return {
    revision,
    status: 'compared',
    baseOutPath,
    baseClosureSize,
    ...(request.closureSize !== undefined ? { delta: request.closureSize - baseClosureSize } : {}),
    changes: parseDiffClosures(diff),
    diff: diff.trim(),
  };
}

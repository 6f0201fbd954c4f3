import { stringifyError } from '../core/errors.js';
import { describeExit, type ProcessRunner, succeeded } from '../core/process.js';
import type { NodeHealthCheck } from './health-checks.js';
import type { DeployNode } from './nodes.js';

/** One HTTP GET; resolves with the final status (redirects followed), rejects when nothing answered. */
export interface HttpProbe {
  get(url: string, timeoutMs: number): Promise<number>;
}

export const fetchHttpProbe: HttpProbe = {
  async get(url, timeoutMs) {
    const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status;
  },
};

export interface HealthProbeDeps {
  runner: ProcessRunner;
  http: HttpProbe;
  /** Pause between attempts. */
  retryDelayMs: number;
  sleep(ms: number): Promise<void>;
}

export interface HealthTarget {
  node: DeployNode;
  sshOptions: readonly string[];
  sshUser?: string;
}

export interface HealthReport {
  healthy: boolean;
  /** The last failure, or what passed. */
  message: string;
  /** What each attempt did, for the node's log group. */
  lines: string[];
}

/** Runs the node's check up to `retries + 1` times; each probe is bounded by the check's timeout. */
export async function runHealthCheck(
  check: NodeHealthCheck,
  target: HealthTarget,
  deps: HealthProbeDeps,
): Promise<HealthReport> {
  const lines: string[] = [];
  const attempts = check.retries + 1;
  let failure = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await deps.sleep(deps.retryDelayMs);
    lines.push(`health check, attempt ${attempt} of ${attempts}:`);
    failure = (await probeOnce(check, target, deps, lines)) ?? '';
    if (failure === '') {
      const passed = [
        check.ssh === undefined ? '' : 'ssh',
        check.http.length > 0 ? `${check.http.length} URL(s)` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      return {
        healthy: true,
        message: `healthy (${passed}${attempt > 1 ? `, attempt ${attempt}` : ''})`,
        lines,
      };
    }
  }
  return {
    healthy: false,
    message: `health check failed${attempts > 1 ? ` ${attempts} times` : ''}: ${failure}`,
    lines,
  };
}

/** One attempt: the ssh command, then every URL. Returns why it failed, or undefined when it passed. */
async function probeOnce(
  check: NodeHealthCheck,
  target: HealthTarget,
  deps: HealthProbeDeps,
  lines: string[],
): Promise<string | undefined> {
  if (check.ssh !== undefined) {
    const { hostname } = target.node;
    const destination = target.sshUser === undefined ? hostname : `${target.sshUser}@${hostname}`;
    const connectTimeout = Math.max(1, Math.min(30, Math.ceil(check.timeoutMs / 1000)));
    const result = await deps.runner.run(
      'ssh',
      [...target.sshOptions, '-o', `ConnectTimeout=${connectTimeout}`, '--', destination, check.ssh],
      { timeoutMs: check.timeoutMs },
    );
    const output = `${result.stdout}${result.stderr}`.trim();
    for (const line of output.split('\n').filter(Boolean)) lines.push(`  ${line}`);
    if (!succeeded(result)) {
      const last = output.split('\n').at(-1);
      return `\`${check.ssh}\` on ${hostname} ${describeExit(result)}${last ? `: ${last}` : ''}`;
    }
    lines.push(`  ✓ ssh ${destination}: \`${check.ssh}\` exited 0`);
  }
  for (const url of check.http) {
    let status: number;
    try {
      status = await deps.http.get(url, check.timeoutMs);
    } catch (error) {
      const reason = describeFetchError(error);
      lines.push(`  ✗ GET ${url}: ${reason}`);
      return `GET ${url}: ${reason}`;
    }
    if (status < 200 || status > 299) {
      lines.push(`  ✗ GET ${url} answered ${status}`);
      return `GET ${url} answered ${status}`;
    }
    lines.push(`  ✓ GET ${url} answered ${status}`);
  }
  return undefined;
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  // fetch rejects with "fetch failed" and keeps the reason (ECONNREFUSED, a TLS error) as its cause.
  if (error instanceof Error && error.cause instanceof Error)
    return `${error.message} (${error.cause.message})`;
  return stringifyError(error);
}

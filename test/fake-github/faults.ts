/**
 * Failures injected on demand: server errors and GitHub's rate limits, with the headers and
 * messages octokit's retry and throttling plugins act on.
 */
export interface FaultSpec {
  method?: string;
  /** The request path (without query): exact string, or a pattern. */
  path?: string | RegExp;
  /** A GraphQL operation name or root field (e.g. `createCommitOnBranch`). */
  graphqlOperation?: string | RegExp;
  status: number;
  /** `secondary`: `retry-after` and GitHub's secondary-limit message; `primary`: `x-ratelimit-remaining: 0`. */
  rateLimit?: 'primary' | 'secondary';
  /** Seconds, sent as `retry-after` for secondary limits (1 by default). */
  retryAfter?: number;
  /** Seconds until `x-ratelimit-reset` for primary limits (0 by default). */
  resetAfter?: number;
  message?: string;
  /** How many matching requests fail; 1 by default, `Infinity` for all. */
  times?: number;
}

export interface InjectedFault {
  readonly spec: FaultSpec;
  /** How many requests this fault has answered so far. */
  readonly hits: number;
  readonly exhausted: boolean;
}

export interface FaultTarget {
  method: string;
  path: string;
  graphqlOperations: string[];
}

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: { message: string; documentation_url: string; status: string };
}

export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:1111:2222:3333:44444444.';

export const PRIMARY_RATE_LIMIT_MESSAGE = 'API rate limit exceeded for installation ID 1.';

const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

const STATUS_MESSAGES: Record<number, string> = {
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn\u2019t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

class Fault implements InjectedFault {
  hits = 0;

  constructor(readonly spec: FaultSpec) {}

  get exhausted(): boolean {
    return this.hits >= (this.spec.times ?? 1);
  }

  matches(target: FaultTarget): boolean {
    const { method, path, graphqlOperation } = this.spec;
    if (method && method.toUpperCase() !== target.method) return false;
    if (path !== undefined && !(typeof path === 'string' ? path === target.path : path.test(target.path)))
      return false;
    if (graphqlOperation !== undefined) {
      const test = (name: string) =>
        typeof graphqlOperation === 'string' ? name === graphqlOperation : graphqlOperation.test(name);
      if (!target.graphqlOperations.some(test)) return false;
    }
    return true;
  }
}

export class FaultInjector {
  private readonly faults: Fault[] = [];

  add(spec: FaultSpec): InjectedFault {
    const fault = new Fault(spec);
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The response of the first live fault matching the request, consuming one of its uses. */
  take(target: FaultTarget, now: Date): FaultResponse | undefined {
    const fault = this.faults.find((candidate) => !candidate.exhausted && candidate.matches(target));
    if (!fault) return undefined;
    fault.hits += 1;
    return respond(fault.spec, now, target.path === '/graphql' ? 'graphql' : 'core');
  }
}

function respond(spec: FaultSpec, now: Date, resource: string): FaultResponse {
  const headers: Record<string, string> = {};
  let message = spec.message ?? STATUS_MESSAGES[spec.status] ?? 'Injected fault';
  let documentation = 'https://docs.github.com/rest';
  if (spec.rateLimit === 'secondary') {
    headers['retry-after'] = String(spec.retryAfter ?? 1);
    message = spec.message ?? SECONDARY_RATE_LIMIT_MESSAGE;
    documentation = `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`;
  }
  if (spec.rateLimit === 'primary') {
    Object.assign(headers, {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.floor(now.getTime() / 1000) + (spec.resetAfter ?? 0)),
      'x-ratelimit-resource': resource,
    });
    message = spec.message ?? PRIMARY_RATE_LIMIT_MESSAGE;
    documentation = `${RATE_LIMIT_DOCS}#about-primary-rate-limits`;
  }
  return {
    status: spec.status,
    headers,
    body: { message, documentation_url: documentation, status: String(spec.status) },
  };
}

import { z } from 'zod';
import { durationValue } from '../core/inputs.js';

/** How long a node may take to pass its health check when `timeout` is not given. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 120_000;

const httpUrl = z.url({ protocol: /^https?$/ });

/** One node's check: an SSH command that must exit 0 and/or URLs that must answer 2xx. */
export const healthCheckShape = z.strictObject({
  ssh: z.string().min(1).optional(),
  http: z
    .union([httpUrl, z.array(httpUrl).min(1)])
    .transform((urls) => (typeof urls === 'string' ? [urls] : urls))
    .optional(),
  timeout: durationValue('120s').optional(),
  retries: z.int().min(0).optional(),
});

/** `health-checks`: `defaults` for every node, and `nodes` overriding them field by field. */
export const healthChecksShape = z.strictObject({
  defaults: healthCheckShape.optional(),
  nodes: z.record(z.string().min(1), healthCheckShape).optional(),
});

export type HealthCheck = z.output<typeof healthCheckShape>;
export type HealthChecks = z.output<typeof healthChecksShape>;

/** One node's check with the defaults filled in; only nodes with an `ssh` command or URLs have one. */
export interface NodeHealthCheck {
  ssh?: string;
  http: string[];
  timeoutMs: number;
  retries: number;
}

/** Merges `defaults` and the node's entry field by field, the node's winning. */
export function healthCheckFor(checks: HealthChecks | undefined, node: string): NodeHealthCheck | undefined {
  if (checks === undefined) return undefined;
  const merged = { ...checks.defaults, ...checks.nodes?.[node] };
  if (merged.ssh === undefined && (merged.http ?? []).length === 0) return undefined;
  return {
    ...(merged.ssh === undefined ? {} : { ssh: merged.ssh }),
    http: merged.http ?? [],
    timeoutMs: merged.timeout ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
    retries: merged.retries ?? 0,
  };
}

/** Node names `health-checks` configures that the flake does not define: most likely a typo. */
export function unknownHealthCheckNodes(
  checks: HealthChecks | undefined,
  known: readonly string[],
): string[] {
  return Object.keys(checks?.nodes ?? {}).filter((name) => !known.includes(name));
}

import { UserError } from './errors.js';

interface RepositoryPayload {
  full_name?: unknown;
  fork?: unknown;
}

function repositoryIn(value: unknown): RepositoryPayload | undefined {
  return value && typeof value === 'object' ? (value as RepositoryPayload) : undefined;
}

/**
 * The fork a run acts for, from its event payload: the repository itself, or the head of the pull
 * request the run is for (a head repository that is gone counts as a fork: nothing says otherwise).
 */
export function forkOf(event: Record<string, unknown>): string | undefined {
  const repository = repositoryIn(event.repository);
  if (repository?.fork === true) return `${String(repository.full_name ?? 'this repository')}, a fork`;
  const pull = event.pull_request as { number?: unknown; head?: { repo?: unknown } } | undefined;
  if (!pull || typeof pull !== 'object') return undefined;
  const head = repositoryIn(pull.head?.repo);
  const from = `a pull request (#${String(pull.number ?? '?')}) from`;
  if (!head) return `${from} a deleted fork`;
  const foreign =
    head.fork === true ||
    (typeof head.full_name === 'string' &&
      typeof repository?.full_name === 'string' &&
      head.full_name !== repository.full_name);
  return foreign ? `${from} ${String(head.full_name)}, a fork` : undefined;
}

/**
 * Refuses to run an action that reaches the fleet with its secrets (deploying, reading backups on a
 * runner inside the network) for a fork or a pull request from one: that code is nobody's to trust.
 */
export function refuseForks(action: string, event: Record<string, unknown>): void {
  const fork = forkOf(event);
  if (fork) {
    throw new UserError(
      `Refusing to run ${action} for ${fork}: it reaches the fleet with its secrets, so it runs only for the repository itself`,
    );
  }
}

/** The input that lets gate, hosts, build and report run a fork's code on a self-hosted runner. */
export const ALLOW_UNTRUSTED_INPUT = 'allow-untrusted-on-self-hosted';

/**
 * Keeps a fork's code off a self-hosted runner (GitHub's own advice): gate, hosts, build and report
 * run the flake, and a self-hosted runner sits inside the fleet's network with its credentials.
 * Refused before anything starts, unless the workflow's author allowed it, which then warns.
 */
export function refuseUntrustedOnSelfHosted(
  action: string,
  run: { event: Record<string, unknown>; runnerEnvironment?: string },
  allowed: boolean,
  warn: (message: string) => void,
): void {
  if (run.runnerEnvironment !== 'self-hosted') return;
  const fork = forkOf(run.event);
  if (!fork) return;
  if (allowed) {
    warn(
      `${action} runs for ${fork} on this self-hosted runner because ${ALLOW_UNTRUSTED_INPUT} is true: ` +
        'that code runs on this machine, with whatever it can reach',
    );
    return;
  }
  throw new UserError(
    `Refusing to run ${action} for ${fork} on a self-hosted runner: its code would run on this machine; ` +
      `run it on a GitHub-hosted runner, or set ${ALLOW_UNTRUSTED_INPUT}: true`,
  );
}

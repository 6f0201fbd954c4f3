import type { Actor } from './records.js';
import { FakeRepository, type RepositorySeed } from './repository.js';

/** The identity a workflow's `GITHUB_TOKEN` acts as. */
export const GITHUB_ACTIONS_BOT = {
  login: 'github-actions[bot]',
  id: 41898282,
  type: 'Bot',
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
} as const;

export interface StateOptions {
  /** Who the token belongs to; github-actions[bot] by default. */
  actor?: { login: string; id?: number; type?: Actor['type']; name?: string; email?: string };
  /** Clock for timestamps (and so for commit SHAs); the real time by default. */
  now?: () => Date;
}

/** Everything the fake GitHub knows: repositories, users, and who is calling. */
export class FakeState {
  readonly actor: Actor;
  readonly now: () => Date;
  private readonly repositories = new Map<string, FakeRepository>();
  private readonly users = new Map<string, Actor>();
  private lastId = 100_000;

  constructor(options: StateOptions = {}) {
    this.now = options.now ?? (() => new Date(Math.floor(Date.now() / 1000) * 1000));
    const actor = options.actor ?? GITHUB_ACTIONS_BOT;
    this.actor = this.user(actor.login, actor);
  }

  addRepository(slug: string, seed: RepositorySeed = {}): FakeRepository {
    const [owner, name] = splitSlug(slug);
    const key = slug.toLowerCase();
    if (this.repositories.has(key)) throw new Error(`repository ${slug} already exists`);
    const repository = new FakeRepository(this, this.user(owner, { type: 'Organization' }), name, seed);
    this.repositories.set(key, repository);
    return repository;
  }

  /** A seeded repository; throws (a test mistake) when it does not exist. */
  repo(slug: string): FakeRepository {
    const repository = this.findRepository(slug);
    if (!repository) throw new Error(`the fake GitHub has no repository ${slug}; seed it with addRepository`);
    return repository;
  }

  findRepository(slug: string): FakeRepository | undefined {
    return this.repositories.get(slug.toLowerCase());
  }

  repositoryById(id: number): FakeRepository | undefined {
    return [...this.repositories.values()].find((repository) => repository.id === id);
  }

  /** A user (created on first mention, as every login a test names exists on this GitHub). */
  user(login: string, details: Partial<Omit<Actor, 'login' | 'nodeId'>> = {}): Actor {
    const known = this.users.get(login.toLowerCase());
    if (known) return known;
    const id = details.id ?? this.nextId();
    const type = details.type ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
    const prefix = type === 'Bot' ? 'BOT' : type === 'Organization' ? 'O' : 'U';
    const actor: Actor = {
      login,
      id,
      type,
      nodeId: encodeNodeId(prefix, ['user', login]),
      name: details.name ?? login,
      email: details.email ?? `${id}+${login}@users.noreply.github.com`,
    };
    this.users.set(login.toLowerCase(), actor);
    return actor;
  }

  findUser(login: string): Actor | undefined {
    return this.users.get(login.toLowerCase());
  }

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }
}

export function splitSlug(slug: string): [string, string] {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(slug);
  if (!match) throw new Error(`expected owner/name, got ${slug}`);
  return [match[1] as string, match[2] as string];
}

/**
 * Node ids in GitHub's current style (`PR_kwDO…`), carrying what the fake needs to find the node
 * again, so `node(id:)` and mutations taking ids need no registry.
 */
export function encodeNodeId(prefix: string, key: Array<string | number>): string {
  return `${prefix}_kwDO${Buffer.from(JSON.stringify(key)).toString('base64url')}`;
}

export function decodeNodeId(id: string): Array<string | number> | undefined {
  const match = /^[A-Z]+_kwDO([A-Za-z0-9_-]+)$/.exec(id);
  if (!match) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(match[1] as string, 'base64url').toString('utf8'));
    return Array.isArray(key) ? (key as Array<string | number>) : undefined;
  } catch {
    return undefined;
  }
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GitHubContract, loadGitHubContract } from './contract.js';
import { FaultInjector, type FaultSpec, type InjectedFault } from './faults.js';
import {
  executeGraphQL,
  type GraphQLRequestBody,
  loadGitHubGraphQLSchema,
  summarizeOperation,
} from './graphql/execute.js';
import type { RestResponse } from './rest/call.js';
import { restHandlers } from './rest/handlers.js';
import { Links } from './rest/render.js';
import { GitHubError } from './state/errors.js';
import type { FakeRepository, RepositorySeed } from './state/repository.js';
import { FakeState, type StateOptions } from './state/state.js';

export interface FakeGitHubOptions extends StateOptions {
  /** Repositories to create at start, as `owner/name` or with a seed. */
  repositories?: Array<string | ({ slug: string } & RepositorySeed)>;
  /** Check every response body against GitHub's documented schema too (slower; the fake's own tests use it). */
  validateResponses?: boolean;
  /** When set, any other token is answered with 401 "Bad credentials". */
  token?: string;
  /** GitHub's web URL in rendered `html_url`s (https://github.com). */
  serverUrl?: string;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query, e.g. `/repos/o/r/git/ref/heads/main`. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** GitHub's operationId for REST requests (e.g. `pulls/create`). */
  operationId?: string;
  graphql?: {
    operationName?: string;
    rootFields: string[];
    query: string;
    variables: Record<string, unknown>;
  };
  status?: number;
  /** Set when an injected fault answered the request. */
  faulted?: boolean;
}

export type ViolationKind =
  | 'unknown-route'
  | 'invalid-request'
  | 'invalid-response'
  | 'invalid-graphql'
  | 'not-implemented'
  | 'fake-bug';

export interface ContractViolation {
  kind: ViolationKind;
  method: string;
  path: string;
  operationId?: string;
  /** The validator's messages. */
  messages: string[];
}

export interface RequestFilter {
  method?: string;
  path?: string | RegExp;
  operationId?: string;
  graphqlOperation?: string;
}

/** A GitHub API on 127.0.0.1 for tests: REST and GraphQL over state the test seeds and inspects. */
export class FakeGitHub {
  readonly state: FakeState;
  readonly requests: RecordedRequest[] = [];
  readonly violations: ContractViolation[] = [];
  private readonly faults = new FaultInjector();
  private readonly server: Server;
  private links!: Links;
  private baseUrl = '';

  private constructor(
    private readonly contract: GitHubContract,
    private readonly options: FakeGitHubOptions,
  ) {
    this.state = new FakeState(options);
    for (const entry of options.repositories ?? []) {
      if (typeof entry === 'string') this.state.addRepository(entry);
      else this.state.addRepository(entry.slug, entry);
    }
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.violate('fake-bug', request.method ?? '', request.url ?? '', [detail]);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
  }

  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const fake = new FakeGitHub(await loadGitHubContract(), options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.baseUrl = `http://127.0.0.1:${port}`;
    fake.links = new Links(fake.baseUrl, options.serverUrl ?? 'https://github.com');
    return fake;
  }

  /** `GITHUB_API_URL` for the code under test. */
  get url(): string {
    return this.baseUrl;
  }

  /** `GITHUB_GRAPHQL_URL` for the code under test. */
  get graphqlUrl(): string {
    return `${this.baseUrl}/graphql`;
  }

  /** Shortcut for `state.repo(slug)`. */
  repo(slug: string): FakeRepository {
    return this.state.repo(slug);
  }

  injectFault(spec: FaultSpec): InjectedFault {
    return this.faults.add(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  requestsMatching(filter: RequestFilter = {}): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        (!filter.method || request.method === filter.method.toUpperCase()) &&
        (!filter.path ||
          (typeof filter.path === 'string'
            ? request.path === filter.path
            : filter.path.test(request.path))) &&
        (!filter.operationId || request.operationId === filter.operationId) &&
        (!filter.graphqlOperation ||
          request.graphql?.operationName === filter.graphqlOperation ||
          request.graphql?.rootFields.includes(filter.graphqlOperation) === true),
    );
  }

  /** Returns the violations recorded so far and forgets them, for tests that provoke them on purpose. */
  takeViolations(): ContractViolation[] {
    return this.violations.splice(0, this.violations.length);
  }

  /** Throws, listing each one, when any request broke GitHub's contract (or hit a gap in the fake). */
  assertNoViolations(): void {
    if (this.violations.length === 0) return;
    const lines = this.takeViolations().map(
      (v) =>
        `- [${v.kind}] ${v.method} ${v.path}${v.operationId ? ` (${v.operationId})` : ''}: ${v.messages.join('; ')}`,
    );
    throw new Error(`The fake GitHub saw requests GitHub would reject:\n${lines.join('\n')}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const method = (request.method ?? 'GET').toUpperCase();
    const raw = await readBody(request);
    const record: RecordedRequest = {
      method,
      path: safeDecode(url.pathname),
      query: parseQuery(url.searchParams),
      headers: { ...request.headers },
      body: parseBody(raw),
    };
    this.requests.push(record);
    const isGraphQL = method === 'POST' && url.pathname === '/graphql';
    if (isGraphQL) record.graphql = graphqlSummary(record.body as GraphQLRequestBody);

    const send = (reply: RestResponse) => {
      record.status = reply.status;
      this.send(response, reply);
    };
    if (this.options.token && !hasToken(request, this.options.token)) {
      return send(errorReply(new GitHubError(401, 'Bad credentials')));
    }
    const fault = this.faults.take(
      { method, path: record.path, graphqlOperations: isGraphQL ? graphqlNames(record) : [] },
      new Date(),
    );
    if (fault) {
      record.faulted = true;
      return send(fault);
    }
    if (isGraphQL) return send(await this.graphql(record));
    return send(this.rest(record, url));
  }

  private async graphql(record: RecordedRequest): Promise<RestResponse> {
    // Built on first use: many tests never speak GraphQL.
    const outcome = await executeGraphQL(await loadGitHubGraphQLSchema(), record.body as GraphQLRequestBody, {
      state: this.state,
      links: this.links,
    });
    const { method, path, graphql } = record;
    if (outcome.violations.length > 0) {
      this.violate('invalid-graphql', method, path, outcome.violations, graphql?.operationName);
    }
    if (outcome.gaps.length > 0)
      this.violate('not-implemented', method, path, outcome.gaps, graphql?.operationName);
    return { status: 200, body: outcome.body };
  }

  private rest(record: RecordedRequest, url: URL): RestResponse {
    const { method, path } = record;
    const match = this.contract.route(method, url.pathname);
    if (!match) {
      this.violate('unknown-route', method, path, [`GitHub has no ${method} ${path}`]);
      return errorReply(new GitHubError(404, 'Not Found'));
    }
    record.operationId = match.operationId;
    const problems = this.contract.checkRequest(match, record);
    if (problems.path.length + problems.other.length > 0) {
      this.violate('invalid-request', method, path, [...problems.path, ...problems.other], match.operationId);
      if (problems.path.length > 0) return errorReply(new GitHubError(404, 'Not Found'));
      return errorReply(new GitHubError(422, `Invalid request.\n\n${problems.other.join('\n')}`));
    }
    const handler = restHandlers[match.operationId];
    if (!handler) {
      const message = `the fake GitHub does not implement ${match.operationId} (${method} ${match.template})`;
      this.violate('not-implemented', method, path, [message], match.operationId);
      return errorReply(new GitHubError(404, `Not Found (${message})`));
    }
    const repo = this.state.findRepository(`${match.params.owner}/${match.params.repo}`);
    if (!repo) return errorReply(new GitHubError(404, 'Not Found'));
    let reply: RestResponse;
    try {
      reply = handler({
        state: this.state,
        links: this.links,
        repo,
        params: match.params,
        query: record.query,
        body: (record.body ?? {}) as Record<string, unknown>,
        url,
      });
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      reply = errorReply(error);
    }
    if (this.options.validateResponses && reply.body !== undefined) {
      const messages = this.contract.checkResponse(match.operationId, reply.status, reply.body);
      if (messages.length > 0) this.violate('invalid-response', method, path, messages, match.operationId);
    }
    return reply;
  }

  private send(response: ServerResponse, reply: RestResponse): void {
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      ...(reply.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'x-github-request-id': randomUUID().toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(5000 - this.requests.length, 1)),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': String(this.requests.length),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    });
    response.end(body);
  }

  private violate(
    kind: ViolationKind,
    method: string,
    path: string,
    messages: string[],
    operationId?: string,
  ) {
    this.violations.push({ kind, method, path, messages, ...(operationId ? { operationId } : {}) });
  }
}

export function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  return FakeGitHub.start(options);
}

function errorReply(error: GitHubError): RestResponse {
  return {
    status: error.status,
    headers: error.options.headers ?? {},
    body: {
      message: error.message,
      ...(error.options.errors ? { errors: error.options.errors } : {}),
      documentation_url: 'https://docs.github.com/rest',
      status: String(error.status),
    },
  };
}

function hasToken(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  return header === `token ${token}` || header === `Bearer ${token}` || header === `bearer ${token}`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function graphqlSummary(body: GraphQLRequestBody | undefined): RecordedRequest['graphql'] {
  return {
    ...summarizeOperation(body?.query, body?.operationName),
    query: typeof body?.query === 'string' ? body.query : '',
    variables: (body?.variables ?? {}) as Record<string, unknown>,
  };
}

function graphqlNames(record: RecordedRequest): string[] {
  const graphql = record.graphql;
  if (!graphql) return [];
  return [...(graphql.operationName ? [graphql.operationName] : []), ...graphql.rootFields];
}

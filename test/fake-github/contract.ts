import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import {
  type AjvCustomizer,
  type Document,
  OpenAPIBackend,
  type Operation,
  ValidationContext,
  type ValidationResult,
} from 'openapi-backend';

type ErrorObject = NonNullable<ValidationResult['errors']>[number];
type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * GitHub's REST contract, from the official OpenAPI description in `@octokit/openapi`. The document
 * is 13 MB, so it is loaded once per process and shared by every fake server in that process.
 */
export interface GitHubContract {
  route(method: string, rawPath: string): RouteMatch | undefined;
  /** Validator messages for a request GitHub would reject; empty when it is acceptable. */
  checkRequest(match: RouteMatch, request: ContractRequest): RequestProblems;
  /** Validator messages for a response whose body breaks the documented schema. */
  checkResponse(operationId: string, status: number, body: unknown): string[];
}

export interface RouteMatch {
  operationId: string;
  /** The OpenAPI path template, e.g. `/repos/{owner}/{repo}/git/ref/{ref}`. */
  template: string;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
}

export interface ContractRequest {
  method: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RequestProblems {
  /** Problems GitHub answers with 404 (a path parameter of the wrong shape). */
  path: string[];
  /** Problems GitHub answers with 422 (query or body). */
  other: string[];
}

interface CompiledRoute {
  operationId: string;
  template: string;
  paramNames: string[];
  pattern: RegExp;
  /** Same, but a trailing ref, path or branch parameter may span unencoded slashes, as GitHub allows. */
  greedyPattern: RegExp | undefined;
  literalLength: number;
}

const require = createRequire(import.meta.url);
let loading: Promise<GitHubContract> | undefined;

export function loadGitHubContract(): Promise<GitHubContract> {
  loading ??= load();
  return loading;
}

async function load(): Promise<GitHubContract> {
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const definition = JSON.parse(await readFile(file, 'utf8')) as Document;
  normalizeNullable(definition);
  const api = new OpenAPIBackend({
    definition,
    // quick: synchronous dereferencing and validators compiled on first use (seconds saved per process).
    quick: true,
    validate: true,
    ajvOpts: { strict: false },
    customizeAjv: addGitHubFormats,
  });
  await api.init();
  return new OpenApiContract(api, definition);
}

class OpenApiContract implements GitHubContract {
  private readonly routes = new Map<string, CompiledRoute[]>();
  private readonly operations = new Map<string, { path: string; method: string }>();
  private readonly responseValidators = new Map<string, ValidateFunction | undefined>();
  /**
   * Responses are checked against the description with its `$ref`s intact, in one Ajv instance, so
   * shared schemas (users, repositories, pull requests) compile once per process, not per endpoint.
   */
  private responseAjv: ReturnType<OpenAPIBackend['validator']['getAjv']> | undefined;

  constructor(
    private readonly api: OpenAPIBackend,
    private readonly document: Document,
  ) {
    for (const operation of api.getOperations()) {
      if (!operation.operationId) continue;
      const method = operation.method.toUpperCase();
      const list = this.routes.get(method) ?? [];
      list.push(compileRoute(operation));
      this.routes.set(method, list);
      this.operations.set(operation.operationId, { path: operation.path, method: operation.method });
    }
    for (const list of this.routes.values()) list.sort((a, b) => b.literalLength - a.literalLength);
  }

  route(method: string, rawPath: string): RouteMatch | undefined {
    const candidates = this.routes.get(method.toUpperCase()) ?? [];
    for (const greedy of [false, true]) {
      for (const route of candidates) {
        const match = (greedy ? route.greedyPattern : route.pattern)?.exec(rawPath);
        if (!match) continue;
        const params: Record<string, string> = {};
        route.paramNames.forEach((name, index) => {
          params[name] = safeDecode(match[index + 1] ?? '');
        });
        return { operationId: route.operationId, template: route.template, params };
      }
    }
    // GitHub lists the repository root at `contents` with no path, which the description cannot say.
    const root = /^\/repos\/([^/]+)\/([^/]+)\/contents\/?$/.exec(rawPath);
    if (root && method.toUpperCase() === 'GET') {
      const params = { owner: safeDecode(root[1] as string), repo: safeDecode(root[2] as string), path: '' };
      return { operationId: 'repos/get-content', template: '/repos/{owner}/{repo}/contents/{path}', params };
    }
    return undefined;
  }

  checkRequest(match: RouteMatch, request: ContractRequest): RequestProblems {
    // Re-encode the parameters so a greedy match (an unencoded `heads/main`) parses as one segment.
    // An empty path (the contents root) stands in as `.` so the path still parses segment by segment.
    const canonicalPath = match.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
      encodeURIComponent(match.params[name] || '.'),
    );
    const result = this.api.validateRequest(
      {
        method: request.method.toLowerCase(),
        path: canonicalPath,
        query: request.query,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body as object,
      },
      match.operationId,
    );
    const problems: RequestProblems = { path: [], other: [] };
    for (const error of result.errors ?? []) {
      const text = describeError(error);
      if (error.instancePath.startsWith('/path')) problems.path.push(text);
      else problems.other.push(text);
    }
    return problems;
  }

  checkResponse(operationId: string, status: number, body: unknown): string[] {
    const key = `${operationId} ${status}`;
    if (!this.responseValidators.has(key)) {
      const pointer = this.responseSchemaPointer(operationId, status);
      this.responseValidators.set(
        key,
        pointer
          ? (this.responseSchemas().getSchema(`github#${pointer}`) as ValidateFunction | undefined)
          : undefined,
      );
    }
    const validate = this.responseValidators.get(key);
    if (!validate || validate(body)) return [];
    return (validate.errors ?? []).map(describeError);
  }

  private responseSchemas() {
    if (!this.responseAjv) {
      this.responseAjv = this.api.validator.getAjv(ValidationContext.Response, {
        inlineRefs: false,
        validateSchema: false,
      });
      this.responseAjv.addSchema(this.document as object, 'github');
    }
    return this.responseAjv;
  }

  /** JSON pointer to the documented JSON body of a response, following a shared-response `$ref`. */
  private responseSchemaPointer(operationId: string, status: number): string | undefined {
    const operation = this.operations.get(operationId);
    if (!operation) return undefined;
    type Response = { $ref?: string; content?: Record<string, { schema?: unknown }> };
    const responses = (
      this.document.paths?.[operation.path] as
        | Record<string, { responses: Record<string, Response> }>
        | undefined
    )?.[operation.method]?.responses;
    const code = [String(status), `${String(status)[0]}XX`, 'default'].find((c) => responses?.[c]);
    if (!responses || !code) return undefined;
    let pointer = `/paths/${escapePointer(operation.path)}/${operation.method}/responses/${code}`;
    let response = responses[code] as Response;
    if (response.$ref) {
      pointer = response.$ref.slice(1);
      response = pointer
        .split('/')
        .slice(1)
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], this.document) as Response;
    }
    return response.content?.['application/json']?.schema
      ? `${pointer}/content/application~1json/schema`
      : undefined;
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * GitHub's description uses OpenAPI 3.0 `nullable` in two ways Ajv reads differently from GitHub:
 * beside `oneOf`/`allOf` without a `type` (Ajv refuses the schema), and beside an `enum` that lacks
 * `null` (Ajv rejects the null GitHub sends). Both are rewritten to mean what GitHub means.
 */
function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normalizeNullable(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  for (const value of Object.values(schema)) normalizeNullable(value);
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...schema.enum, null];
  }
  if (schema.nullable === true && schema.type === undefined) {
    const { nullable: _, ...rest } = schema;
    for (const key of Object.keys(schema)) delete schema[key];
    schema.anyOf = [rest, { type: 'null' }];
  }
}

const SLASHED_PARAMS = new Set(['ref', 'path', 'basehead', 'branch']);

function compileRoute(operation: Operation): CompiledRoute {
  const template = operation.path;
  const paramNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const literals = template.split(/\{[^}]+\}/);
  const escaped = literals.map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  const build = (lastGroup: string) =>
    new RegExp(
      `^${escaped
        .map((part, index) => {
          if (index === paramNames.length) return part;
          return part + (index === paramNames.length - 1 ? lastGroup : '([^/]+)');
        })
        .join('')}$`,
    );
  return {
    operationId: operation.operationId as string,
    template,
    paramNames,
    pattern: build('([^/]+)'),
    greedyPattern:
      template.endsWith('}') && SLASHED_PARAMS.has(paramNames.at(-1) as string) ? build('(.+)') : undefined,
    literalLength: literals.join('').length,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `requestBody must have required property 'head'`, `query/state must be equal to one of …: open, closed, all`. */
export function describeError(error: ErrorObject): string {
  const where = error.instancePath.replace(/^\//, '') || 'value';
  const allowed =
    error.keyword === 'enum'
      ? `: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      : '';
  const extra =
    error.keyword === 'additionalProperties'
      ? ` '${(error.params as { additionalProperty: string }).additionalProperty}'`
      : '';
  return `${where} ${error.message ?? error.keyword}${allowed}${extra}`;
}

const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

const addGitHubFormats: AjvCustomizer = (ajv) => {
  ajv.addFormat('date-time', dateTime);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('timestamp', dateTime);
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  // GitHub sends "" for unset URLs (a deployment status's `target_url`), so "" passes as a URI.
  ajv.addFormat('uri', (value: string) => value === '' || URL.canParse(value));
  ajv.addFormat('uri-template', true);
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  return ajv;
};

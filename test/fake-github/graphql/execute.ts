import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  buildClientSchema,
  type DocumentNode,
  execute,
  type GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type IntrospectionQuery,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { mutationRoot } from './mutations.js';
import { actorNode, GitHubGraphQLError, type GraphQLContext, nodeById, repositoryNode } from './nodes.js';

let loading: Promise<GraphQLSchema> | undefined;

/** GitHub's public GraphQL schema from `@octokit/graphql-schema`, built once per process. */
export function loadGitHubGraphQLSchema(): Promise<GraphQLSchema> {
  loading ??= (async () => {
    const introspection = JSON.parse(await readFile(graphqlSchemaFile(), 'utf8')) as IntrospectionQuery;
    return buildClientSchema(introspection);
  })();
  return loading;
}

/**
 * The package's entry point also builds a second schema for its own `validate()` when imported,
 * so the introspection file is read directly; its `exports` hide the path from `require.resolve`.
 */
function graphqlSchemaFile(): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths('@octokit/graphql-schema') ?? []) {
    const file = join(dir, '@octokit', 'graphql-schema', 'schema.json');
    if (existsSync(file)) return file;
  }
  throw new Error('@octokit/graphql-schema is not installed');
}

export interface GraphQLRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GitHubGraphQLErrorJson {
  type?: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  message: string;
}

export interface GraphQLOutcome {
  body: { data?: unknown; errors?: GitHubGraphQLErrorJson[] };
  /** Documents or variables GitHub would reject. */
  violations: string[];
  /** Fields the fake does not model, and failures of the fake itself. */
  gaps: string[];
}

class NotImplementedField extends Error {}

/** Resolves a field from the source object; a field the fake does not model is a loud failure. */
const strictFieldResolver: GraphQLFieldResolver<Record<string, unknown>, GraphQLContext> = (
  source,
  args,
  context,
  info,
) => {
  if (source === null || typeof source !== 'object' || !(info.fieldName in source)) {
    throw new NotImplementedField(
      `the fake GitHub does not implement ${info.parentType.name}.${info.fieldName}`,
    );
  }
  const value = source[info.fieldName];
  return typeof value === 'function' ? value.call(source, args, context, info) : value;
};

export interface OperationSummary {
  operationName?: string;
  /** The top-level fields, e.g. `createCommitOnBranch`, `repository`. */
  rootFields: string[];
}

/** Which operation a request runs and its root fields, for recording and fault matching. */
export function summarizeOperation(query: unknown, operationName?: unknown): OperationSummary {
  let document: DocumentNode;
  try {
    document = parse(typeof query === 'string' ? query : '');
  } catch {
    return { rootFields: [] };
  }
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const chosen =
    typeof operationName === 'string'
      ? operations.find((operation) => operation.name?.value === operationName)
      : operations[0];
  const name = chosen?.name?.value;
  return {
    ...(name ? { operationName: name } : {}),
    rootFields: (chosen?.selectionSet.selections ?? []).flatMap((selection) =>
      selection.kind === Kind.FIELD ? [selection.name.value] : [],
    ),
  };
}

export async function executeGraphQL(
  schema: GraphQLSchema,
  request: GraphQLRequestBody,
  context: GraphQLContext,
): Promise<GraphQLOutcome> {
  if (typeof request.query !== 'string') {
    const message = 'A query attribute must be specified and must be a string.';
    return { body: { errors: [{ message }] }, violations: [message], gaps: [] };
  }
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    const errors = [toJson(error as GraphQLError)];
    return { body: { errors }, violations: errors.map((e) => e.message), gaps: [] };
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) {
    const errors = invalid.map(toJson);
    return { body: { errors }, violations: errors.map((e) => e.message), gaps: [] };
  }
  const result = await execute({
    schema,
    document,
    rootValue: { ...queryRoot(context), ...mutationRoot(context) },
    contextValue: context,
    variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    fieldResolver: strictFieldResolver,
  });
  const errors = (result.errors ?? []).map(toJson);
  // Without `data`, execution never started: the variables (or operation name) broke the schema.
  const violations = result.data === undefined ? errors.map((e) => e.message) : [];
  const gaps: string[] = [];
  for (const error of result.data === undefined ? [] : (result.errors ?? [])) {
    if (error.originalError instanceof NotImplementedField) gaps.push(error.message);
    else if (error.originalError && !(error.originalError instanceof GitHubGraphQLError)) {
      gaps.push(`the fake GitHub failed: ${error.originalError.stack ?? error.message}`);
    }
  }
  return {
    body: {
      ...(result.data === undefined ? {} : { data: result.data }),
      ...(errors.length ? { errors } : {}),
    },
    violations,
    gaps,
  };
}

function queryRoot(ctx: GraphQLContext) {
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = ctx.state.findRepository(`${owner}/${name}`);
      if (!repo) {
        throw new GitHubGraphQLError(
          `Could not resolve to a Repository with the name '${owner}/${name}'.`,
          'NOT_FOUND',
        );
      }
      return repositoryNode(ctx, repo);
    },
    node: ({ id }: { id: string }) => nodeById(ctx, id),
    nodes: ({ ids }: { ids: string[] }) => ids.map((id) => nodeById(ctx, id)),
    viewer: () => actorNode(ctx, ctx.state.actor),
    rateLimit: () => ({
      __typename: 'RateLimit',
      cost: 1,
      limit: 5000,
      nodeCount: 1,
      remaining: 4999,
      used: 1,
      resetAt: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }),
  };
}

/** GitHub's error shape: `type` for domain errors, then path, locations and message. */
function toJson(error: GraphQLError): GitHubGraphQLErrorJson {
  const original = error.originalError;
  return {
    ...(original instanceof GitHubGraphQLError ? { type: original.type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  };
}

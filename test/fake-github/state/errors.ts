/**
 * An answer GitHub gives instead of doing what was asked: REST renders it as an error response,
 * GraphQL as an entry in `errors` (with `type`, e.g. `UNPROCESSABLE`, `NOT_FOUND`).
 */
export interface GitHubErrorDetail {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

export interface GitHubErrorOptions {
  errors?: Array<GitHubErrorDetail | string>;
  graphqlType?: 'UNPROCESSABLE' | 'NOT_FOUND' | 'FORBIDDEN' | 'INTERNAL';
  headers?: Record<string, string>;
}

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: GitHubErrorOptions = {},
  ) {
    super(message);
    this.name = 'GitHubError';
  }
}

export function notFound(): GitHubError {
  return new GitHubError(404, 'Not Found', { graphqlType: 'NOT_FOUND' });
}

export function validationFailed(...errors: Array<GitHubErrorDetail | string>): GitHubError {
  return new GitHubError(422, 'Validation Failed', { errors, graphqlType: 'UNPROCESSABLE' });
}

/** GitHub's usual shape for a rule that is not a field validation, e.g. "body is too long". */
export function customValidation(resource: string, message: string, field?: string): GitHubError {
  return validationFailed({ resource, code: 'custom', ...(field ? { field } : {}), message });
}

export function unprocessable(message: string): GitHubError {
  return new GitHubError(422, message, { graphqlType: 'UNPROCESSABLE' });
}

/** Issue, pull request and comment bodies: 65,536 characters. */
export const MAX_BODY_LENGTH = 65_536;

export function checkBodyLength(resource: string, body: string | null | undefined): void {
  if (body && body.length > MAX_BODY_LENGTH) {
    throw customValidation(resource, `body is too long (maximum is ${MAX_BODY_LENGTH} characters)`, 'body');
  }
}

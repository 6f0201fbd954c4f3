/**
 * What a process flakeflow starts may take from the step's environment. A step's environment holds
 * what no child should see: the inputs (`INPUT_TOKEN`, `INPUT_SSH-PRIVATE-KEY`…), the runner's
 * `ACTIONS_RUNTIME_TOKEN` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, and whatever secret a workflow's
 * `env:` names. So nothing passes but what Nix, git, restic, ssh and deploy-rs read to work; a
 * secret a process needs is given to that one call, by the narrowest means (a key file, a password
 * file), through RunOptions.env.
 */
const INHERITED_NAMES = new Set([
  // Who and where: every tool.
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TZ',
  'TZDIR',
  'TERM',
  'NO_COLOR',
  'CI',
  'LANG',
  'LANGUAGE',
  'LOCALE_ARCHIVE',
  // TLS roots and proxies, for Nix's and restic's downloads.
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  // ssh (restic's sftp backend, deploy-rs, Nix's ssh stores) asks the agent, never a key in the environment.
  'SSH_AUTH_SOCK',
  // Nix: its configuration, store and daemon. NIX_CONFIG is the user's own Nix settings.
  'NIX_PATH',
  'NIX_CONFIG',
  'NIX_CONF_DIR',
  'NIX_USER_CONF_FILES',
  'NIX_REMOTE',
  'NIX_DAEMON_SOCKET_PATH',
  'NIX_STORE_DIR',
  'NIX_STATE_DIR',
  'NIX_LOG_DIR',
  'NIX_DATA_DIR',
  'NIX_SSL_CERT_FILE',
  'NIX_SSHOPTS',
  'NIX_PROFILES',
  'NIX_USER_PROFILE_DIR',
  'NIX_REMOTE_SYSTEMS',
  'NIX_BUILD_CORES',
  'NIX_IGNORE_SYMLINK_STORE',
  // deploy-rs signs what it pushes with the key file this names (a path, not the key).
  'LOCAL_KEY',
  // git: identity, configuration files, transports and prompts. GIT_CONFIG_COUNT/KEY_n/VALUE_n are
  // left out: they can carry an Authorization header, which flakeflow gives only to the push that needs it.
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'EMAIL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'GIT_EXEC_PATH',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_NO_VERIFY',
  'GIT_TERMINAL_PROMPT',
  'GIT_CEILING_DIRECTORIES',
]);

/** Locale categories and the XDG base directories (restic's cache, Nix's cache and config). */
const INHERITED_PREFIXES = ['LC_', 'XDG_'];

export function isInherited(name: string): boolean {
  return INHERITED_NAMES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The part of `step` (the action's own environment) that every child process receives. */
export function inheritedEnvironment(
  step: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(step)) {
    if (value !== undefined && isInherited(name)) env[name] = value;
  }
  return env;
}

/**
 * Who a child is, when it is given more than the inherited variables. A run that holds secrets for
 * one kind of child gives them to the runner by role (SpawnProcessRunner's `roles`), and a call names
 * its role in RunOptions.role; a call that names none receives no role's variables.
 *
 * - `nix`: a Nix process that may fetch the flake's inputs or talk to a binary cache (src/nix:
 *   `runNix`, which every NixCli and NixStore call goes through; nix-eval-jobs; the gate's
 *   `nix flake check`). It receives the run's Nix access (src/nix/access.ts): NIX_USER_CONF_FILES
 *   naming a private nix.conf first (`access-tokens`, the caches' `netrc-file`) and then the user's
 *   own files, and GIT_SSH_COMMAND naming the inputs' SSH key and known_hosts; and it takes the AWS
 *   SDK's variables from the step (AWS_SDK_VARIABLES below). One role serves inputs and caches alike:
 *   any Nix process may substitute (an evaluation that imports from a derivation, a build, a copy),
 *   so a narrower "cache" role would leave some of them without the cache's credentials. A program
 *   Nix starts inherits its environment, so what Nix runs for someone else is never started with this
 *   role: the gate's linters and formatter are resolved by Nix and run as programs of their own (no
 *   `nix run`, no `nix fmt`), restic through `nix run` gets no role, and deploy-rs (which runs Nix
 *   itself, and activates) gets none either: its inputs are fetched and its closures built beforehand.
 */
export type ChildRole = 'nix';

/**
 * What the AWS SDK reads from the environment for credentials, region and endpoints (the AWS SDKs
 * and Tools reference guide's environment variables list, and its credential providers: static keys,
 * shared config and credentials files, web identity, container and instance metadata). Nix's S3
 * binary cache store (`s3://`, R2, MinIO, Garage) signs its requests through that SDK's default
 * chain, so role `nix` takes these from the step: a job's aws-actions/configure-aws-credentials or
 * `env:` credentials reach `nix copy`, substitution and `nix path-info --store s3://…`. No other child
 * gets them: not the gate's linters and formatter, not deploy-rs's activation, not restic (whose
 * repositories name their own `env`), not `push-command` (which names its own in `push-env`), nor any
 * program the flake or the pull request supplies.
 */
export const AWS_SDK_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
  'AWS_EC2_METADATA_V1_DISABLED',
  'AWS_METADATA_SERVICE_TIMEOUT',
  'AWS_METADATA_SERVICE_NUM_ATTEMPTS',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_CA_BUNDLE',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_USE_DUALSTACK_ENDPOINT',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
] as const;

/** What each role takes from the step beyond the inherited variables, and why: see above. */
const ROLE_STEP_VARIABLES: Readonly<Record<ChildRole, readonly string[]>> = {
  nix: AWS_SDK_VARIABLES,
};

/** The variables each role adds to what its children inherit. */
export type RoleEnvironments = Readonly<Partial<Record<ChildRole, Readonly<Record<string, string>>>>>;

/**
 * A child's whole environment: what passes from the step (nothing at all with `clean`), with what
 * its role takes from the step, then its role's variables, then the call's own variables, which may add anything and remove (undefined)
 * anything.
 */
export function childEnvironment(
  step: Readonly<Record<string, string | undefined>>,
  options: { cleanEnv?: boolean; env?: Readonly<Record<string, string | undefined>>; role?: ChildRole },
  roles: RoleEnvironments = {},
): Record<string, string> {
  const env = options.cleanEnv ? {} : inheritedEnvironment(step);
  if (options.role !== undefined) {
    if (!options.cleanEnv) {
      for (const name of ROLE_STEP_VARIABLES[options.role]) {
        const value = step[name];
        if (value !== undefined) env[name] = value;
      }
    }
    Object.assign(env, roles[options.role]);
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

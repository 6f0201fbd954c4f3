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
 * - `nix`: a Nix process that may fetch the flake's inputs (src/nix: `runNix`, which every NixCli and
 *   NixStore call goes through; nix-eval-jobs; the gate's `nix flake check`). It receives the run's
 *   Nix access (src/nix/access.ts): NIX_USER_CONF_FILES naming a private nix.conf first
 *   (`access-tokens`) and then the user's own files, and GIT_SSH_COMMAND naming the inputs' SSH key and
 *   known_hosts. A program Nix starts inherits its environment, so what Nix runs for someone else is
 *   never started with this role: the gate's linters and formatter are resolved by Nix and run as
 *   programs of their own (no `nix run`, no `nix fmt`), restic through `nix run` gets no role, and
 *   deploy-rs (which runs Nix itself) gets none either: its inputs are fetched beforehand.
 */
export type ChildRole = 'nix';

/** The variables each role adds to what its children inherit. */
export type RoleEnvironments = Readonly<Partial<Record<ChildRole, Readonly<Record<string, string>>>>>;

/**
 * A child's whole environment: what passes from the step (nothing at all with `clean`), then its
 * role's variables, then the call's own variables, which may add anything and remove (undefined)
 * anything.
 */
export function childEnvironment(
  step: Readonly<Record<string, string | undefined>>,
  options: { cleanEnv?: boolean; env?: Readonly<Record<string, string | undefined>>; role?: ChildRole },
  roles: RoleEnvironments = {},
): Record<string, string> {
  const env = options.cleanEnv ? {} : inheritedEnvironment(step);
  if (options.role !== undefined) Object.assign(env, roles[options.role]);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

import {
  bool,
  choice,
  defineInputs,
  githubToken,
  integer,
  list,
  type SettingsOf,
  secret,
  text,
  words,
} from '../core/inputs.js';
import { structured } from '../core/structured-input.js';
import { nixAccessInputs } from '../nix/access-inputs.js';
import { cacheAccessInputs } from '../nix/cache-access.js';
import { healthChecksShape } from './health-checks.js';
import { deployTagsShape, wavesShape } from './selectors.js';
import type { SshSettings } from './ssh.js';
import { switchNodesShape } from './switch/switch-nodes.js';

export const STRATEGIES = ['canary', 'waves', 'all-at-once', 'one-by-one'] as const;
export const DEPLOY_FAILURE_POLICIES = ['halt', 'continue'] as const;
export const DEPLOY_ENGINES = ['auto', 'deploy-rs', 'switch'] as const;

/** Where the nodes come from: the flake at `path`, through the engine's node source. Deploy's and status's. */
export const nodeSourceInputs = {
  path: text({ rawDefault: '.' }),
  engine: choice(DEPLOY_ENGINES, { rawDefault: 'auto' }),
  nodes: structured(
    switchNodesShape,
    'a YAML map from node name to {address, ssh-user, tags, wave, profile, current-system, booted-system}',
  ),
};

/** Which of the nodes a run reaches. */
export const nodeSelectionInputs = {
  targets: list({ rawDefault: 'all', what: 'node names, @tags or all' }),
  tags: structured(deployTagsShape, 'a YAML map from tag to a list of node names'),
};

/** How the nodes are reached over SSH, host keys pinned. */
export const sshInputs = {
  'ssh-user': text(),
  'ssh-opts': words(),
  'ssh-private-key': secret(),
  'known-hosts': text(),
  'strict-host-key-checking': bool({ rawDefault: 'true' }),
};

export const deployInputs = defineInputs({
  ...nodeSourceInputs,
  force: bool({ rawDefault: 'false' }),
  ...nodeSelectionInputs,
  strategy: choice(STRATEGIES, { rawDefault: 'canary' }),
  waves: structured(wavesShape, 'a YAML list of waves, each a node name, @tag or list of them'),
  parallel: integer({ rawDefault: '4', min: 1 }),
  'on-failure': choice(DEPLOY_FAILURE_POLICIES, { rawDefault: 'halt' }),
  'dry-activate': bool({ rawDefault: 'false' }),
  boot: bool({ rawDefault: 'false' }),
  'skip-checks': bool({ rawDefault: 'false' }),
  'magic-rollback': bool({ rawDefault: 'true' }),
  'auto-rollback': bool({ rawDefault: 'true' }),
  'confirm-timeout': integer({ min: 1 }),
  'activation-timeout': integer({ min: 1 }),
  'remote-build': bool({ rawDefault: 'false' }),
  'substitute-on-nodes': bool({ rawDefault: 'true' }),
  ...sshInputs,
  'health-checks': structured(healthChecksShape, 'a YAML map of health checks (defaults, nodes)'),
  'deploy-command': words({ rawDefault: 'deploy' }),
  'allow-pull-request': bool({ rawDefault: 'false' }),
  'github-deployments': bool({ rawDefault: 'false' }),
  'environment-prefix': text({ rawDefault: 'nixos/' }),
  token: githubToken(),
  ...nixAccessInputs,
  ...cacheAccessInputs,
}).superRefine((settings, ctx) => {
  if (settings['dry-activate'] && settings.boot) {
    ctx.addIssue({
      code: 'custom',
      path: ['boot'],
      message:
        "cannot be true together with 'dry-activate': dry-activate only shows what would change, " +
        'boot installs the new generation for the next reboot; set one of them',
    });
  }
  refuseNodesForDeployRs(settings, ctx);
  if (settings.strategy !== 'waves' && settings.waves !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['waves'],
      message: `is only used with 'strategy' waves, but 'strategy' is ${settings.strategy}`,
    });
  }
});

export type DeploySettings = SettingsOf<typeof deployInputs>;

/** `nodes` describes switch-engine nodes: with `engine: deploy-rs` it would be silently ignored. */
export function refuseNodesForDeployRs(
  settings: { engine: string; nodes?: unknown },
  ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void },
): void {
  if (settings.engine === 'deploy-rs' && settings.nodes !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['nodes'],
      message: "is only read by the switch engine, but 'engine' is deploy-rs",
    });
  }
}

/** The SSH settings of any run that reaches the nodes. */
export function sshSettingsOf(
  settings: Pick<DeploySettings, 'ssh-private-key' | 'known-hosts' | 'strict-host-key-checking' | 'ssh-opts'>,
): SshSettings {
  return {
    ...(settings['ssh-private-key'] === undefined ? {} : { privateKey: settings['ssh-private-key'] }),
    ...(settings['known-hosts'] === undefined ? {} : { knownHosts: settings['known-hosts'] }),
    strictHostKeyChecking: settings['strict-host-key-checking'],
    extraOptions: settings['ssh-opts'] ?? [],
  };
}

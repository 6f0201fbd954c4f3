import { bool, defineInputs, githubToken, list, type SettingsOf } from '../core/inputs.js';
import {
  nodeSelectionInputs,
  nodeSourceInputs,
  refuseNodesForDeployRs,
  sshInputs,
} from '../deploy/inputs.js';
import { nixAccessInputs } from '../nix/access-inputs.js';

/**
 * What a node may be found doing, the first that applies; `unevaluable`: the flake's system for it
 * does not evaluate, so nothing can say what it should run.
 */
export const NODE_STATES = [
  'unevaluable',
  'unreachable',
  'drifted',
  'behind',
  'needs-reboot',
  'current',
] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** `fail-on: none` never fails the step. */
export const NO_STATE = 'none';

export const statusInputs = defineInputs({
  ...nodeSourceInputs,
  ...nodeSelectionInputs,
  ...sshInputs,
  'fail-on': list({ rawDefault: 'unevaluable,drifted,unreachable', of: [...NODE_STATES, NO_STATE] }),
  'alert-issue': bool({ rawDefault: 'false' }),
  token: githubToken(),
  ...nixAccessInputs,
}).superRefine((settings, ctx) => refuseNodesForDeployRs(settings, ctx));

export type StatusSettings = SettingsOf<typeof statusInputs>;

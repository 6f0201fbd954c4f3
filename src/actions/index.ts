import type { ActionDefinition } from '../core/action.js';
import { backupVerifyAction } from './backup-verify.js';
import { buildAction } from './build.js';
import { deployAction } from './deploy.js';
import { gateAction } from './gate.js';
import { hostsAction } from './hosts.js';
import { lockUpdateAction } from './lock-update.js';
import { reportAction } from './report.js';
import { statusAction } from './status.js';

/** Every action by the name its `actions/<name>/action.yml` and the umbrella's `command` use. */
export const actions = {
  'lock-update': lockUpdateAction,
  gate: gateAction,
  hosts: hostsAction,
  build: buildAction,
  report: reportAction,
  deploy: deployAction,
  'backup-verify': backupVerifyAction,
  status: statusAction,
} as const satisfies Record<string, ActionDefinition>;

export type ActionName = keyof typeof actions;

/** In the order a fleet's life goes through them: update, check, list hosts, build, report, deploy, verify, watch. */
export const ACTION_NAMES = Object.keys(actions) as ActionName[];

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(actions, name);
}

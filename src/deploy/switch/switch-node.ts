import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stringifyError } from '../../core/errors.js';
import { type ProcessResult, succeeded } from '../../core/process.js';
import type { NixStore } from '../../nix/store.js';
import { type DeployOrigin, recordSwitch } from '../deploy-record.js';
import { type NodeVerdict, unchangedVerdict } from '../engine.js';
import type { NodeHealthCheck } from '../health-checks.js';
import { type HealthProbeDeps, runHealthCheck } from '../health-probe.js';
import { failure, type NodeShell } from './node-ssh.js';
import { ACTIVATE, type ActivationAction, activateArgs, CONFIRM } from './remote-scripts.js';
import type { Delivery } from './switch-deliver.js';
import type { FlakeSystem, SwitchNode } from './switch-nodes.js';
import { needsTarget, type PreparedNode } from './switch-prepare.js';

export interface SwitchFlags {
  action: ActivationAction;
  magicRollback: boolean;
  autoRollback: boolean;
  confirmSeconds: number;
  activationSeconds: number;
  remoteBuild: boolean;
  /** Nodes fetch what their own substituters hold; the runner sends only the rest. */
  substituteOnNodes: boolean;
  force: boolean;
}

export interface SwitchNodeOptions {
  store: NixStore;
  flags: SwitchFlags;
  healthCheck: (node: SwitchNode) => NodeHealthCheck | undefined;
  health: HealthProbeDeps;
  /** Added to the activation limit before the activating ssh counts as hung. */
  marginMs: number;
  /** The commit and run the node's deploy record names. */
  origin: DeployOrigin;
  /** Where the confirmation marker lives on the nodes (default /tmp). */
  markerDir?: string;
  /** Where a node booted with systemd has a directory; tests point it elsewhere. */
  systemdDir?: string;
}

/** Exit codes of the ACTIVATE script. */
const ROLLED_BACK = 92;
const FAILED_IN_PLACE = 93;

/**
 * Deploys one prepared node with the switch engine in its wave: skip it when it runs the target
 * already, else wait for its system to be in its store (`delivery`, started before the waves), then
 * activate under a watchdog, check its health and confirm over a new connection.
 */
export async function switchNode(
  prepared: PreparedNode,
  delivery: Promise<Delivery> | undefined,
  options: SwitchNodeOptions,
  lines: string[],
): Promise<NodeVerdict> {
  const { node, system, shell, running } = prepared;
  if ('error' in running) throw new Error(running.error);
  const target = system.path;
  lines.push(`runs ${running.path ?? 'no system yet'}; target ${target}`);
  if (!needsTarget(prepared, options.flags.force)) return unchangedVerdict(target, lines);
  try {
    if (prepared.buildError !== undefined) throw new Error(prepared.buildError);
    if (delivery === undefined) throw new Error(`no copy of ${target} to ${node.name} was started`);
    const [changes, delivered] = await Promise.all([
      closureDiff(options.store, running.path, target),
      delivery,
    ]);
    lines.push(...delivered.lines);
    if (delivered.stopped !== undefined) {
      const message = `not deployed: its copy was stopped (${delivered.stopped}); nothing was activated`;
      return { status: 'skipped', message, lines };
    }
    // Nothing on the node changed yet: it fails alone, the rollout goes on.
    if (delivered.error !== undefined)
      return { status: 'failed', message: delivered.error, lines, untouched: true };
    const verdict = await activate(node, system, shell, options, lines);
    if (verdict.status === 'deployed') await recordSwitch(prepared, options, lines);
    const message = delivered.note === undefined ? verdict.message : `${verdict.message}; ${delivered.note}`;
    return { ...verdict, message, ...(changes === undefined ? {} : { changes }) };
  } finally {
    await shell.close();
  }
}

/** Nix colours diff-closures even into a pipe on some versions. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The closure diff, when the running system is in the runner's store too. */
async function closureDiff(store: NixStore, running: string | undefined, target: string) {
  if (running === undefined || running === target || !existsSync(running)) return undefined;
  try {
    return (
      (await store.diffClosures(running, target)).replace(ANSI_COLOUR, '').trim() ||
      'no package versions changed'
    );
  } catch {
    return undefined;
  }
}

async function activate(
  node: SwitchNode,
  system: FlakeSystem,
  shell: NodeShell,
  options: SwitchNodeOptions,
  lines: string[],
): Promise<NodeVerdict> {
  const { flags } = options;
  const marker = `${options.markerDir ?? '/tmp'}/flakeflow-confirm-${randomUUID()}`;
  const armed = flags.magicRollback && flags.action === 'switch';
  const result = await shell.run(
    ACTIVATE,
    activateArgs({
      profile: node.profile,
      path: system.path,
      action: flags.action,
      marker,
      confirmSeconds: flags.confirmSeconds,
      limitSeconds: flags.activationSeconds,
      magicRollback: armed,
      autoRollback: flags.autoRollback,
      kind: system.kind,
      ...(options.systemdDir === undefined ? {} : { systemdDir: options.systemdDir }),
    }),
    { timeoutMs: flags.activationSeconds * 1000 + options.marginMs },
  );
  lines.push(...`${result.stdout}${result.stderr}`.split('\n'));
  const [previous, current] = generations(result);
  const watchdog = armed && previous !== undefined;

  if (result.exitCode === ROLLED_BACK) {
    return {
      status: 'rolled-back',
      message: `activation failed; rolled back to generation ${previous}`,
      lines,
    };
  }
  if (result.exitCode === FAILED_IN_PLACE) {
    return { status: 'failed', message: `activation (${flags.action}) ${failure(result)}`, lines };
  }
  if (!succeeded(result)) {
    const why = `activation over ssh ${failure(result)}`;
    return watchdog
      ? {
          status: 'rolled-back',
          message: `${why}; unconfirmed, the node rolls itself back to generation ${previous}`,
          lines,
        }
      : { status: 'failed', message: why, lines };
  }
  if (flags.action === 'dry-activate')
    return { status: 'dry-activated', message: 'dry activation passed', lines };
  if (flags.action === 'boot') {
    return { status: 'deployed', message: `generation ${current} installed for the next boot`, lines };
  }

  let message = `switched to generation ${current}`;
  const check = options.healthCheck(node);
  if (check) {
    const health = await runHealthCheck(
      check,
      { node, sshOptions: shell.sshOptions, sshUser: node.sshUser },
      options.health,
    );
    lines.push(...health.lines);
    if (!health.healthy) {
      return watchdog
        ? {
            status: 'rolled-back',
            message: `${health.message}; not confirmed, the node rolls itself back to generation ${previous} within ${flags.confirmSeconds}s`,
            lines,
          }
        : { status: 'unhealthy', message: health.message, lines };
    }
    message = `${message}; ${health.message}`;
  }
  if (!watchdog) return { status: 'deployed', message, lines };
  return confirm(shell, marker, message, previous as string, options, lines);
}

/** Confirms over a NEW connection: only a node still reachable after its switch keeps it. */
async function confirm(
  shell: NodeShell,
  marker: string,
  message: string,
  previous: string,
  options: SwitchNodeOptions,
  lines: string[],
): Promise<NodeVerdict> {
  let result: ProcessResult | undefined;
  let error = '';
  try {
    result = await shell.run(CONFIRM, [marker], {
      timeoutMs: options.flags.confirmSeconds * 1000,
      newConnection: true,
    });
  } catch (thrown) {
    error = stringifyError(thrown);
  }
  if (result !== undefined && succeeded(result)) {
    lines.push('confirmed over a new SSH connection');
    return { status: 'deployed', message: `${message}; confirmed`, lines };
  }
  const why = result === undefined ? error : failure(result);
  return {
    status: 'rolled-back',
    message: `confirmation over a new SSH connection failed (${why}): the node rolls itself back to generation ${previous} after ${options.flags.confirmSeconds}s`,
    lines,
  };
}

/** The `flakeflow-generation: <previous> <new>` line of ACTIVATE; `-` stands for none. */
function generations(result: ProcessResult): [string | undefined, string | undefined] {
  const match = /^flakeflow-generation: (\S+) (\S+)$/m.exec(result.stdout);
  const value = (text: string | undefined) => (text === undefined || text === '-' ? undefined : text);
  return [value(match?.[1]), value(match?.[2])];
}

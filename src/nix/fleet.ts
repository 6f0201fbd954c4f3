import { resolve } from 'node:path';
import type { NixCli, NixRunOptions } from './cli.js';
import { type FleetFact, fleetExpression } from './fleet-expression.js';
import type { HostKind, HostRef } from './fleet-types.js';

/**
 * The fleet model: what flakeflow knows about a fleet flake, all of it computed by nix/fleet.nix.
 * The hosts' derivations come from `NixEvalFleetEvaluator` / `NixEvalJobsFleetEvaluator` and
 * `evaluateHostList` (fleet-nix-eval.ts, fleet-eval-jobs.ts, fleet-hosts.ts), which restart after a host aborts the
 * evaluator; every other fact comes from `readFleetFacts`, one evaluation for all the facts asked.
 */

/** What flakeflow reads of one deploy-rs node (null for a node that fails, when tolerant). */
export interface DeployRsNodeFacts {
  hostname: string | null;
  tags: string[];
  wave: number | null;
  sshUser: string | null;
  /** The node's and its profiles' `sshOpts`, in that order. */
  sshOpts: string[];
}

/** deploy-rs's `deploy` output, as far as flakeflow reads it. */
export interface DeployRsFacts {
  sshUser: string | null;
  sshOpts: string[];
  /** Null when `deploy` has no `nodes`. */
  nodes: Record<string, DeployRsNodeFacts | null> | null;
}

/**
 * One node of the flake's `flakeflow.nodes` (the switch engine's node map), as the flake wrote it:
 * the switch engine's schema checks it (src/deploy/switch/switch-nodes.ts).
 */
export type FlakeflowNodeFacts = Record<string, unknown>;

/** A configuration's toplevel (system, activation package), evaluated but not built. */
export interface ToplevelFacts {
  kind: Exclude<HostKind, 'checks'>;
  /** Its attribute path in the flake's outputs. */
  attrPath: string[];
  drvPath: string;
  /** The toplevel's store path (named so that toJSON keeps the attribute set). */
  path: string;
}

/** One deploy-rs profile of a node: the store path it activates and where deploy-rs puts it. */
export interface DeployProfileFacts {
  path: string;
  /** The profile's `profilePath`; null for deploy-rs's default. */
  profilePath: string | null;
  /** The profile's, node's or deploy's `user`, else root. */
  user: string;
}

/** One `services.restic.backups.<service>` job: only the options flakeflow reads. */
export interface BackupJobFacts {
  repository: string | null;
  passwordFile: string | null;
  paths: string[] | null;
  pruneOpts: string[];
  extraBackupArgs: string[];
  timerConfig: Record<string, unknown> | null;
}

export interface HostBackupFacts {
  /** networking.hostName; null when unset (or, tolerant, when it fails). */
  hostName: string | null;
  jobs: Record<string, BackupJobFacts>;
}

export interface FleetQuery {
  /** The hosts (of the `kinds`) by kind and name, none of them evaluated. */
  names?: boolean;
  kinds?: readonly HostKind[];
  /** deploy-rs's nodes. */
  deploy?: boolean;
  /** The switch engine's `flakeflow.nodes`. */
  flakeflowNodes?: boolean;
  /** Whether the flake has deploy-rs's `deploy.nodes`, no node evaluated. */
  hasDeployNodes?: boolean;
  /**
   * The configurations' toplevels (of the `kinds`): those named, or by default those the flake's
   * `flakeflow.nodes` names when it has one, else all. Evaluates each one's whole system.
   */
  toplevels?: boolean | { hosts: readonly string[] };
  /** deploy-rs's profiles' paths and places, of all nodes or those named; evaluates their systems. */
  deployProfiles?: boolean | { nodes: readonly string[] };
  /** The systems the `formatter` output covers. */
  formatter?: boolean;
  /** The NixOS hosts' restic backups: all hosts, or those named. */
  backups?: boolean | { hosts: readonly string[] };
  /** Report a node, backup or system that fails to evaluate as null instead of failing. */
  tolerant?: boolean;
}

/** The facts asked for; the others are absent. */
export interface FleetFacts {
  names?: (HostRef & { selected: boolean })[];
  /** Null when the flake has no `deploy` output. */
  deploy?: DeployRsFacts | null;
  /** Null when the flake has no `flakeflow.nodes`. */
  flakeflowNodes?: Record<string, FlakeflowNodeFacts | null> | null;
  hasDeployNodes?: boolean;
  toplevels?: Record<string, ToplevelFacts>;
  /** node -> profile -> facts. */
  deployProfiles?: Record<string, Record<string, DeployProfileFacts>>;
  formatter?: string[];
  backups?: Record<string, HostBackupFacts>;
}

export interface FleetReadOptions extends NixRunOptions {
  /** The expression file; the one of this checkout by default. */
  expressionFile?: string;
}

/** Reads the facts `query` asks for in one `nix eval`; Nix's failure is a NixError. */
export async function readFleetFacts(
  nix: NixCli,
  flakeDir: string,
  query: FleetQuery,
  options: FleetReadOptions = {},
): Promise<FleetFacts> {
  const { expressionFile, ...run } = options;
  const facts: FleetFact[] = [];
  if (query.names) facts.push('names');
  if (query.deploy) facts.push('deploy');
  if (query.flakeflowNodes) facts.push('flakeflowNodes');
  if (query.hasDeployNodes) facts.push('hasDeployNodes');
  if (query.toplevels) facts.push('toplevels');
  if (query.deployProfiles) facts.push('deployProfiles');
  if (query.formatter) facts.push('formatter');
  if (query.backups) facts.push('backups');
  if (facts.length === 0) return {};
  const backupHosts = typeof query.backups === 'object' ? query.backups.hosts : undefined;
  const toplevelHosts = typeof query.toplevels === 'object' ? query.toplevels.hosts : undefined;
  const profileNodes = typeof query.deployProfiles === 'object' ? query.deployProfiles.nodes : undefined;
  return nix.evalJson<FleetFacts>(
    {
      expr: fleetExpression({
        flakeDir: resolve(flakeDir),
        facts,
        ...(query.kinds ? { kinds: query.kinds } : {}),
        ...(backupHosts ? { backupHosts } : {}),
        ...(toplevelHosts ? { toplevelHosts } : {}),
        ...(profileNodes ? { profileNodes } : {}),
        ...(query.tolerant ? { tolerant: true } : {}),
        expressionFile,
      }),
    },
    { ...run, impure: true },
  );
}

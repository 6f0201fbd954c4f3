import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { blocks, formatDuration, heading, table } from '../core/markdown.js';
import type { ProcessRunner } from '../core/process.js';
import { advanceInput, materializeExampleFleet } from '../demo/example-fleet.js';
import type { FleetHost } from '../demo/fleet.js';
import { installable, NixCli } from '../nix/cli.js';
import type { TerminalLogger } from './terminal.js';
import { style } from './terminal.js';

export interface DemoOptions {
  /** Where the example fleet is materialised; wiped first. */
  dir: string;
  runner: ProcessRunner;
  logger: TerminalLogger;
}

interface LockedInput {
  rev: string;
  lastModified: number;
}

async function readLockedInputs(flakeDir: string): Promise<Record<string, LockedInput>> {
  const lock = JSON.parse(await readFile(join(flakeDir, 'flake.lock'), 'utf8')) as {
    nodes: Record<string, { locked?: { rev?: string; lastModified?: number } }>;
  };
  const locked: Record<string, LockedInput> = {};
  for (const [name, node] of Object.entries(lock.nodes)) {
    if (node.locked?.rev)
      locked[name] = { rev: node.locked.rev, lastModified: node.locked.lastModified ?? 0 };
  }
  return locked;
}

interface HostOutcome {
  host: FleetHost;
  drvPath: string;
  outPath: string;
}

/**
 * The pipeline that exists so far, on the example fleet: materialise it with its two input
 * repositories, evaluate and build every host, then advance an input and run a real lock update.
 * Each capability adds its step here as it lands.
 */
export async function runDemo(options: DemoOptions): Promise<string> {
  const { logger, runner } = options;
  const started = Date.now();
  const dir = resolve(options.dir);
  const nix = new NixCli(runner);

  const version = await nix.version();
  logger.result(`${style.bold('flakeflow demo')} on ${version.text} in ${dir}`);
  await rm(dir, { recursive: true, force: true });

  const fleet = await logger.group('Materialise the example fleet and its input repositories', () =>
    materializeExampleFleet(dir, { runner, nix }),
  );

  const installables = fleet.hosts.map((host) => installable(fleet.flakeDir, host.buildAttrPath));
  const evaluateDrvPaths = () =>
    Promise.all(
      fleet.hosts.map((host) =>
        nix.evalJson<string>(installable(fleet.flakeDir, [...host.buildAttrPath, 'drvPath'])),
      ),
    );
  const drvPaths = await logger.group(`Evaluate ${fleet.hosts.length} hosts`, evaluateDrvPaths);
  const built = await logger.group(`Build ${fleet.hosts.length} hosts`, () => nix.build(installables));
  const outPathByDrv = new Map(built.map((result) => [result.drvPath, result.outputs.out ?? '']));
  const outcomes: HostOutcome[] = fleet.hosts.map((host, index) => {
    const drvPath = drvPaths[index] as string;
    return { host, drvPath, outPath: outPathByDrv.get(drvPath) ?? '' };
  });

  const before = await readLockedInputs(fleet.flakeDir);
  const advanced = await logger.group(
    'Advance the `secrets` input by one commit and update flake.lock',
    async () => {
      const commit = await advanceInput(fleet, 'secrets', { kind: 'update' }, { runner });
      await nix.updateLock(fleet.flakeDir, ['secrets']);
      return commit;
    },
  );
  const after = await readLockedInputs(fleet.flakeDir);
  const lockChanges = Object.keys(after)
    .filter((name) => before[name]?.rev !== after[name]?.rev)
    .map((name) => [name, before[name]?.rev.slice(0, 7) ?? 'new', after[name]?.rev.slice(0, 7) ?? 'removed']);

  const newDrvPaths = await logger.group('Re-evaluate the hosts with the new lock', evaluateDrvPaths);
  const changedHosts = outcomes
    .filter((outcome, index) => newDrvPaths[index] !== outcome.drvPath)
    .map((outcome) => outcome.host.name);

  const report = blocks(
    heading(2, 'flakeflow demo: the example homelab fleet'),
    `${version.text} · ${fleet.hosts.length} hosts · finished in ${formatDuration(Date.now() - started)}`,
    heading(3, 'Hosts'),
    table(
      ['host', 'kind', 'system', 'deploy tags', 'wave', 'output'],
      outcomes.map(({ host, outPath }) => [
        host.name,
        host.kind,
        host.system,
        host.deploy?.tags.join(', ') ?? '',
        host.deploy?.wave ?? '',
        `\`${outPath.replace(/^\/nix\/store\//, '').slice(0, 40)}\``,
      ]),
    ),
    heading(3, 'Lock update'),
    `Input \`${advanced.input}\` advanced to \`${advanced.rev.slice(0, 7)}\` (${advanced.message}).`,
    table(['input', 'from', 'to'], lockChanges),
    `Hosts whose derivation changed: ${changedHosts.length > 0 ? changedHosts.join(', ') : 'none'}.`,
    heading(3, 'Not yet part of the pipeline'),
    'gate (#4), hosts matrix (#3), lock-update PRs (#5), deploy plan (#6) and backup verification (#7) join this demo as they land.',
  );
  const reportPath = join(dir, 'report.md');
  await writeFile(reportPath, `${report}\n`);

  logger.result('');
  logger.result(style.bold('Hosts built'));
  for (const { host, outPath } of outcomes) {
    logger.result(
      `  ${style.green('✓')} ${host.name.padEnd(20)} ${host.kind.padEnd(13)} ${host.system.padEnd(15)} ${outPath}`,
    );
  }
  logger.result('');
  logger.result(style.bold('Lock update'));
  for (const [name, from, to] of lockChanges) logger.result(`  ${name}: ${from} → ${to}`);
  logger.result(`  hosts whose derivation changed: ${changedHosts.join(', ') || 'none'}`);
  logger.result('');
  logger.result(`Report: ${reportPath}`);
  return reportPath;
}

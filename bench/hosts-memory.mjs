// The bounded-memory part of bench/hosts.mjs (issue #16): generated fleets whose hosts each hold
// about 100 MiB once evaluated, at 10, 40 and 100 hosts: one `nix eval` of every host against the
// hosts action's pool (`eval-workers` 2, `eval-max-memory` 600MiB), in the same run. It records the
// wall time and the peak memory (VmHWM) of the largest evaluator process of each, checks every host
// got the same drvPath both ways, and writes its table between the bench:hosts-memory markers.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

export const MEMORY_SIZES = [10, 40, 100];
const HELD_MIB = 100;
const WORKERS = '2';
const MAX_MEMORY = '600MiB';

/** Runs the comparison with the compiled modules `load` gives; returns the section for the docs. */
export async function benchBoundedEvaluation({ load, work, hosts, sizes = MEMORY_SIZES, nixVersion }) {
  const { generateFleet } = await load('demo/generate-fleet.js');
  const { fleetExpression } = await load('nix/fleet-expression.js');
  const { procStatusMemory, parseTrace } = await load('nix/eval-workers.js');
  const { RecordingLogger } = await load('core/logger.js');
  const { SpawnProcessRunner } = await load('core/process.js');
  const runner = new SpawnProcessRunner(new RecordingLogger());

  /** Today's one process: every host in one `nix eval`, its VmHWM watched from /proc. */
  const oneProcess = async (flakeDir) => {
    let pid;
    let peakKiB = 0;
    const sample = () => {
      const memory = pid === undefined ? undefined : procStatusMemory(pid);
      if (memory) peakKiB = Math.max(peakKiB, memory.peakKiB);
    };
    const ticker = setInterval(sample, 100);
    const started = performance.now();
    const expr = fleetExpression({ flakeDir, kinds: ['nixos', 'darwin', 'home'] });
    const result = await runner.run('nix', ['eval', '--json', '--impure', '--expr', expr], {
      onSpawn: (spawned) => {
        pid = spawned;
      },
      onLine: (line, from) => {
        if (from === 'stderr' && parseTrace(line)) sample();
      },
    });
    const ms = performance.now() - started;
    clearInterval(ticker);
    if (result.exitCode !== 0)
      throw new Error(`nix eval of ${flakeDir} failed: ${result.stderr.slice(-2000)}`);
    const drvPaths = new Map(
      JSON.parse(result.stdout).hosts.map((record) => [`${record.kind}/${record.name}`, record.drvPath]),
    );
    return { ms, peakKiB, drvPaths };
  };

  const rows = [];
  const loadBefore = loadavg()[0];
  for (const size of sizes) {
    const fleet = await generateFleet(join(work, `memory-fleet-${size}`), size, { heldMiB: HELD_MIB });
    await hosts(fleet.flakeDir, { include: 'none-at-all' }); // copies the flake to the store once
    const single = await oneProcess(fleet.flakeDir);
    const startedPool = performance.now();
    const pooled = await hosts(fleet.flakeDir, { 'eval-workers': WORKERS, 'eval-max-memory': MAX_MEMORY });
    const poolMs = performance.now() - startedPool;
    const differing = pooled.hosts.filter(
      (host) => host.drvPath !== single.drvPaths.get(`${host.kind}/${host.host}`),
    );
    if (differing.length > 0 || pooled.hosts.length !== single.drvPaths.size) {
      throw new Error(
        `the pool and one process disagree on ${differing.map((host) => host.host).join(', ')}`,
      );
    }
    rows.push({
      size,
      singleMs: single.ms,
      singlePeakKiB: single.peakKiB,
      poolMs,
      poolPeakKiB: pooled.workers.peakKiB,
      processes: pooled.workers.processes,
      replaced: pooled.workers.replaced,
      load: loadavg()[0],
    });
    console.log(JSON.stringify(rows.at(-1)));
  }

  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const mib = (kib) => `${Math.round(kib / 1024)} MiB`;
  const table = [
    `| hosts | one \`nix eval\`: wall | its peak | pool (${WORKERS} workers, ${MAX_MEMORY}): wall | largest process's peak | processes (replaced) | load average after |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.size} | ${seconds(row.singleMs)} | ${mib(row.singlePeakKiB)} | ${seconds(row.poolMs)} | ${mib(row.poolPeakKiB)} | ${row.processes} (${row.replaced}) | ${row.load.toFixed(1)} |`,
    ),
  ].join('\n');
  return [
    '<!-- bench:hosts-memory -->',
    '## hosts: bounded evaluator processes against one `nix eval` (issue #16)',
    '',
    `\`node bench/hosts.mjs\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${nixVersion}; load average`,
    `${loadBefore.toFixed(1)} when it started (the machine is shared, so wall times are noisy). Generated fleets whose hosts each`,
    `hold ${HELD_MIB} MiB once evaluated (\`generateFleet(…, { heldMiB: ${HELD_MIB} })\`). One process is a single \`nix eval\` of`,
    'nix/fleet.nix over every host; the pool is `listHosts` with `eval-workers` ' +
      `${WORKERS} and \`eval-max-memory\` ${MAX_MEMORY}`,
    "(each worker's process lists its share of the hosts itself). Peaks are VmHWM from /proc. Every host got the same drvPath both ways.",
    `Goal: the pool's largest process stays within the limit plus one host (${600 + HELD_MIB} MiB) and takes no longer.`,
    '',
    table,
    '<!-- /bench:hosts-memory -->',
  ].join('\n');
}

import { describe, expect, it } from 'vitest';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../src/core/process.js';
import { NixError } from '../../src/nix/errors.js';
import {
  EVALUATOR_ENDED_EARLY,
  evaluateInWorkers,
  type ProcessMemory,
  type WorkerBatch,
} from '../../src/nix/eval-workers.js';

/** How a fake host evaluates: how long it takes, how much it adds to its process, whether it aborts it. */
interface FakeHost {
  ms: number;
  kib: number;
  aborts?: string;
}

/**
 * An in-process stand-in for `nix eval` of nix/fleet.nix: it reads the batch from the expression,
 * lists a shard the way fleet.nix does, prints the start and done traces as it goes, holds the
 * memory its hosts add, and stops when its signal is aborted.
 */
class FakeEvaluators implements ProcessRunner {
  readonly evaluated: string[][] = [];
  private readonly memory = new Map<number, ProcessMemory>();
  private nextPid = 1000;

  constructor(
    private readonly hosts: Record<string, FakeHost>,
    private readonly startMs: number,
    private readonly brokenFlake = false,
  ) {}

  probe = (pid: number): ProcessMemory | undefined => this.memory.get(pid);

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    const batch = JSON.parse(args[args.indexOf('--expr') + 1] as string) as WorkerBatch;
    const keys = Object.keys(this.hosts);
    const assigned =
      'keys' in batch
        ? batch.keys.filter((key) => key in this.hosts)
        : keys.filter((_, position) => position % batch.shard.count === batch.shard.index);
    const pid = this.nextPid++;
    const done: string[] = [];
    this.evaluated.push(done);
    this.memory.set(pid, { rssKiB: 10_000, peakKiB: 10_000 });
    options.onSpawn?.(pid);
    const result = (exitCode: number | null, stderr = ''): ProcessResult => {
      this.memory.delete(pid);
      return {
        command,
        args,
        exitCode,
        signal: exitCode === null ? 'SIGTERM' : null,
        stdout: exitCode === 0 ? '{"hosts":[]}' : '',
        stderr,
        timedOut: false,
        durationMs: 0,
      };
    };
    const signal = options.signal;
    const wait = (ms: number) =>
      new Promise<boolean>((resolve) => {
        if (signal?.aborted) return resolve(false);
        const timer = setTimeout(() => resolve(true), ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
    const trace = (text: string) => options.onLine?.(`trace: ${text}`, 'stderr');

    if (!(await wait(this.startMs))) return result(null);
    if (this.brokenFlake) return result(1, "error: undefined variable 'nixpkgs'");
    if (!('keys' in batch))
      trace(`flakeflow-shard ${JSON.stringify({ keys, batch: assigned, names: keys })}`);
    for (const key of assigned) {
      const host = this.hosts[key] as FakeHost;
      trace(`flakeflow-host-start ${key}`);
      if (!(await wait(host.ms))) return result(null);
      if (host.aborts) return result(1, `error: ${host.aborts}`);
      const memory = this.memory.get(pid) as ProcessMemory;
      const rssKiB = memory.rssKiB + host.kib;
      this.memory.set(pid, { rssKiB, peakKiB: Math.max(memory.peakKiB, rssKiB) });
      done.push(key);
      trace(`flakeflow-host-done ${JSON.stringify({ name: key })}`);
    }
    return result(0);
  }
}

function fleet(count: number, host: FakeHost): Record<string, FakeHost> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`nixos/h${index}`, { ...host }]));
}

async function evaluate(
  fakes: FakeEvaluators,
  hosts: readonly string[] | 'listed',
  limits: { workers: number; maxMemoryKiB: number },
) {
  return evaluateInWorkers<{ name: string }>(hosts, {
    runner: fakes,
    limits,
    memory: fakes.probe,
    sampleMs: 5,
    expression: (batch) => JSON.stringify(batch),
  });
}

const PLENTY = { maxMemoryKiB: 1_000_000 };

describe('the evaluator pool', () => {
  it('evaluates a cheap fleet in one process per worker, each listing its own share', async () => {
    const fakes = new FakeEvaluators(fleet(40, { ms: 0, kib: 10 }), 40);
    const { outcomes, listing, stats } = await evaluate(fakes, 'listed', { workers: 2, ...PLENTY });
    expect(stats.processes).toBe(2);
    expect(outcomes.map((outcome) => outcome.key)).toEqual(Object.keys(fleet(40, { ms: 0, kib: 0 })));
    expect(outcomes.every((outcome) => 'record' in outcome)).toBe(true);
    expect(listing).toHaveLength(40);
    expect(fakes.evaluated.map((done) => done.length)).toEqual([20, 20]);
  });

  it('gives the hosts a slow host holds up to a worker that is idle', async () => {
    const hosts = fleet(8, { ms: 1, kib: 10 });
    (hosts['nixos/h0'] as FakeHost).ms = 1500;
    const fakes = new FakeEvaluators(hosts, 20);
    const { outcomes, stats } = await evaluate(fakes, 'listed', { workers: 2, ...PLENTY });
    expect(outcomes.every((outcome) => 'record' in outcome)).toBe(true);
    // h0's shard is h0 h2 h4 h6: the idle worker took over at least the last of those.
    expect(stats.processes).toBeGreaterThanOrEqual(3);
    expect(fakes.evaluated[0]).toEqual(['nixos/h0']);
    expect(fakes.evaluated.slice(2).flat()).toContain('nixos/h6');
    expect(fakes.evaluated.flat().sort()).toEqual(Object.keys(hosts).sort());
  });

  it('replaces a process before one more host would take it past the limit', async () => {
    const fakes = new FakeEvaluators(fleet(12, { ms: 2, kib: 30_000 }), 5);
    const { outcomes, stats } = await evaluate(fakes, 'listed', { workers: 1, maxMemoryKiB: 100_000 });
    expect(outcomes.map((outcome) => ('record' in outcome ? outcome.record.name : outcome.error))).toEqual(
      Object.keys(fleet(12, { ms: 0, kib: 0 })),
    );
    // 10 MB to start and 30 per host: a fourth host would take a process past 100, so it stops after three.
    expect(stats.replaced).toBe(3);
    expect(stats.processes).toBe(4);
    expect(fakes.evaluated.map((done) => done.length)).toEqual([3, 3, 3, 3]);
    expect(stats.peakKiB).toBeLessThanOrEqual(100_000);
    expect(stats.overLimitAlone).toEqual([]);
  });

  it('names a host that alone takes a fresh process past the limit', async () => {
    const hosts = fleet(4, { ms: 2, kib: 1_000 });
    (hosts['nixos/h2'] as FakeHost).kib = 200_000;
    const fakes = new FakeEvaluators(hosts, 5);
    const { outcomes, stats } = await evaluate(fakes, ['nixos/h2', 'nixos/h0', 'nixos/h1', 'nixos/h3'], {
      workers: 1,
      maxMemoryKiB: 100_000,
    });
    expect(stats.overLimitAlone).toEqual(['nixos/h2']);
    expect(outcomes.map((outcome) => outcome.key)).toEqual(['nixos/h2', 'nixos/h0', 'nixos/h1', 'nixos/h3']);
    expect(outcomes.every((outcome) => 'record' in outcome)).toBe(true);
  });

  it("reports a host that aborts its process with Nix's message and evaluates the rest", async () => {
    const hosts = fleet(6, { ms: 1, kib: 10 });
    (hosts['nixos/h2'] as FakeHost).aborts = "undefined variable 'oops'";
    const fakes = new FakeEvaluators(hosts, 5);
    const { outcomes } = await evaluate(fakes, 'listed', { workers: 2, ...PLENTY });
    expect(outcomes.find((outcome) => outcome.key === 'nixos/h2')).toEqual({
      key: 'nixos/h2',
      error: "error: undefined variable 'oops'",
    });
    expect(outcomes.filter((outcome) => 'record' in outcome)).toHaveLength(5);
  });

  it('answers for a key the flake does not have, and throws what breaks the flake itself', async () => {
    const fakes = new FakeEvaluators(fleet(2, { ms: 1, kib: 10 }), 5);
    const { outcomes } = await evaluate(fakes, ['nixos/h1', 'nixos/nope'], { workers: 1, ...PLENTY });
    expect(outcomes[1]).toEqual({ key: 'nixos/nope', error: EVALUATOR_ENDED_EARLY });
    const broken = new FakeEvaluators(fleet(2, { ms: 1, kib: 10 }), 5, true);
    await expect(evaluate(broken, 'listed', { workers: 2, ...PLENTY })).rejects.toThrow(NixError);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { DeployEntry } from '../../src/deploy/deploy-record.js';
import type { FleetStatus } from '../../src/status/fleet-status.js';
import { judgeNode } from '../../src/status/judge.js';
import { parseReading } from '../../src/status/node-reading.js';
import {
  failingStates,
  renderStatusSummary,
  statusAlert,
  statusAnnotations,
  statusFailure,
  statusOutput,
} from '../../src/status/report.js';
import { REPO } from '../workflows/support.js';
import { statusSettings } from './support.js';

const EXPECTED = {
  path: '/nix/store/c2-web',
  attribute: 'nixosConfigurations.web.config.system.build.toplevel',
};

function entry(path: string, commit: string | null): DeployEntry {
  return {
    node: 'web',
    commit,
    attribute: EXPECTED.attribute,
    path,
    action: 'switch',
    deployedAt: '2026-12-01T10:00:00.000Z',
    runUrl: 'https://github.com/o/r/actions/runs/1',
  };
}

const reading = (running: string | undefined, deploys?: DeployEntry[], bootDiffers = false) => ({
  ...(running === undefined ? {} : { running }),
  bootDiffers,
  ...(deploys === undefined ? {} : { deploys }),
});

describe('judgeNode', () => {
  const distances = new Map([['c1', 3]]);
  const behindBy = (commit: string) => distances.get(commit);

  it.each([
    ['unreachable', { error: 'ssh root@web exited with code 255: Connection refused' }, 'unreachable', null],
    ['with no system at all', reading(undefined), 'drifted', null],
    ['switched by hand, never deployed', reading('/nix/store/hand'), 'drifted', null],
    [
      'switched by hand after a deploy',
      reading('/nix/store/hand', [entry('/nix/store/c1-web', 'c1')]),
      'drifted',
      null,
    ],
    [
      'on an earlier deploy',
      reading('/nix/store/c1-web', [entry('/nix/store/c1-web', 'c1')]),
      'behind',
      'c1',
    ],
    [
      'back on an earlier deploy after a rollback',
      reading('/nix/store/c1-web', [entry('/nix/store/c2-web', 'c2'), entry('/nix/store/c1-web', 'c1')]),
      'behind',
      'c1',
    ],
    [
      'behind and booted another kernel',
      reading('/nix/store/c1-web', [entry('/nix/store/c1-web', 'c1')], true),
      'behind',
      'c1',
    ],
    [
      'on the expected system, booted another kernel',
      reading(EXPECTED.path, [entry(EXPECTED.path, 'c2')], true),
      'needs-reboot',
      'c2',
    ],
    ['on the expected system', reading(EXPECTED.path, [entry(EXPECTED.path, 'c2')]), 'current', 'c2'],
    ['on the expected system, put there by hand', reading(EXPECTED.path), 'current', null],
  ] as const)('a node %s is %s', (_, given, state, commit) => {
    const judged = judgeNode('web', given, EXPECTED, behindBy);
    expect(judged.state).toBe(state);
    expect(judged.commit).toBe(commit);
    expect(judged['needs-reboot']).toBe('bootDiffers' in given && given.bootDiffers);
  });

  it('finds a node whose system does not evaluate unevaluable, read or not, and still shows what it runs', () => {
    const broken = { error: 'broken: the disk layout is missing' };
    const read = judgeNode(
      'web',
      reading('/nix/store/c1-web', [entry('/nix/store/c1-web', 'c1')], true),
      broken,
      behindBy,
    );
    expect(read).toEqual({
      node: 'web',
      state: 'unevaluable',
      'needs-reboot': true,
      running: '/nix/store/c1-web',
      expected: null,
      commit: 'c1',
      'deployed-at': '2026-12-01T10:00:00.000Z',
      'run-url': 'https://github.com/o/r/actions/runs/1',
      'behind-by': null,
      reason: "the flake's system for web does not evaluate: broken: the disk layout is missing",
    });
    const unreachable = judgeNode(
      'web',
      { error: 'ssh root@web exited with code 255: Connection refused' },
      broken,
      behindBy,
    );
    expect(unreachable).toMatchObject({ state: 'unevaluable', running: null, commit: null });
    expect(unreachable.reason).toBe(
      "the flake's system for web does not evaluate: broken: the disk layout is missing; the node could not be read either: ssh root@web exited with code 255: Connection refused",
    );
  });

  it('counts the commits a behind node misses when git can tell, and names its run', () => {
    const behind = judgeNode(
      'web',
      reading('/nix/store/c1-web', [entry('/nix/store/c1-web', 'c1')]),
      EXPECTED,
      behindBy,
    );
    expect(behind).toMatchObject({
      'behind-by': 3,
      'deployed-at': '2026-12-01T10:00:00.000Z',
      'run-url': 'https://github.com/o/r/actions/runs/1',
      running: '/nix/store/c1-web',
      expected: EXPECTED.path,
    });
    expect(behind.reason).toBe(
      `runs what flakeflow deployed from c1, 3 commit(s) behind, not ${EXPECTED.attribute} as it is now`,
    );
    const unknown = judgeNode(
      'web',
      reading('/nix/store/x', [entry('/nix/store/x', 'c9')]),
      EXPECTED,
      behindBy,
    );
    expect(unknown['behind-by']).toBeNull();
  });
});

describe('parseReading', () => {
  const record = [
    '{"version":1,"deploys":[',
    JSON.stringify(entry('/nix/store/c2-web', 'c2')),
    `,${JSON.stringify(entry('/nix/store/c1-web', 'c1'))}`,
    ']}',
  ];
  const lines = (boot: Record<string, [string, string]>) => [
    'running:/nix/store/c2-web',
    'booted:/nix/store/c1-web',
    ...Object.entries(boot).flatMap(([link, [running, booted]]) => [
      `running-${link}:${running}`,
      `booted-${link}:${booted}`,
    ]),
    ...record.map((line) => `record:${line}`),
  ];

  it('reads the running and booted systems and the record, newest deploy first', () => {
    const same: Record<string, [string, string]> = {
      kernel: ['/k/6.6', '/k/6.6'],
      initrd: ['/i/6.6', '/i/6.6'],
      'kernel-modules': ['/m/6.6', '/m/6.6'],
    };
    const parsed = parseReading(lines(same).join('\n'));
    expect(parsed).toMatchObject({
      running: '/nix/store/c2-web',
      booted: '/nix/store/c1-web',
      bootDiffers: false,
    });
    expect(parsed.deploys?.map((deploy) => deploy.commit)).toEqual(['c2', 'c1']);
  });

  it.each(['kernel', 'initrd', 'kernel-modules'])(
    'needs a reboot when %s differs, as NixOS compares',
    (link) => {
      const boot: Record<string, [string, string]> = {
        kernel: ['/k', '/k'],
        initrd: ['/i', '/i'],
        'kernel-modules': ['/m', '/m'],
      };
      boot[link] = ['/new', '/old'];
      expect(parseReading(lines(boot).join('\n')).bootDiffers).toBe(true);
    },
  );

  it('needs no reboot without a booted system (nix-darwin), and reads a missing or broken record as none', () => {
    const parsed = parseReading(
      'running:/nix/store/a\nbooted:\nrunning-kernel:/k\nbooted-kernel:\nrecord:{"version":1,"deploys":[',
    );
    expect(parsed).toEqual({ running: '/nix/store/a', bootDiffers: false });
  });
});

describe('the report', () => {
  const status: FleetStatus = {
    engine: 'switch',
    commit: 'c2c2c2c2c2c2',
    checkedAt: '2026-12-06T12:00:00.000Z',
    nodes: [
      judgeNode('web', reading(EXPECTED.path, [entry(EXPECTED.path, 'c2c2c2c2c2c2')]), EXPECTED, () => 0),
      judgeNode(
        'db',
        { error: 'ssh root@db exited with code 255: Connection refused' },
        EXPECTED,
        () => undefined,
      ),
      judgeNode(
        'pi',
        reading('/nix/store/c1-web', [entry('/nix/store/c1-web', 'c1c1c1c1c1')], true),
        EXPECTED,
        () => 2,
      ),
      judgeNode('ci', reading(undefined), { error: "attribute 'nothing' missing" }, () => undefined),
    ],
  };

  it('fails on the states fail-on names, with one annotation per node not current', () => {
    expect(statusFailure(status, ['drifted', 'unreachable'])).toBe(
      "1 node(s) db (unreachable): 'fail-on' is drifted,unreachable",
    );
    expect(statusFailure(status, failingStates(statusSettings({})['fail-on']))).toBe(
      "2 node(s) db (unreachable), ci (unevaluable): 'fail-on' is unevaluable,drifted,unreachable",
    );
    expect(statusFailure(status, [])).toBeUndefined();
    expect(statusAnnotations(status, ['unreachable'])).toEqual([
      {
        level: 'error',
        title: 'db: unreachable',
        message: 'ssh root@db exited with code 255: Connection refused',
      },
      expect.objectContaining({ level: 'warning', title: 'pi: behind' }),
      {
        level: 'warning',
        title: 'ci: unevaluable',
        message: "the flake's system for ci does not evaluate: attribute 'nothing' missing",
      },
    ]);
  });

  it('keeps the table to three narrow columns, and names a reboot a behind node also needs', () => {
    const summary = renderStatusSummary(status);
    expect(summary).toContain('| Node | State | Deployed |');
    expect(summary).toContain('| pi | ⏪ behind 🔄 | c1c1c1c (−2) · 2026-12-01 |');
    expect(summary).toContain('| db | 🔌 unreachable | — |');
    expect(summary).toContain('| ci | ❌ unevaluable | — |');
    expect(summary).toContain('1 unevaluable, 1 unreachable, 1 behind, 1 current: 4 node(s)');
    expect(summary).toContain(
      '- 🔌 **db** unreachable: ssh root@db exited with code 255: Connection refused',
    );
    const rows = summary.split('\n').filter((line) => line.startsWith('| ') && !line.includes('<'));
    for (const row of rows.slice(0, 5)) expect(row.length).toBeLessThan(60);
  });

  it('lists every field of the nodes output in the order action.yml documents', () => {
    const manifest = parse(readFileSync(join(REPO, 'actions', 'status', 'action.yml'), 'utf8'));
    const documented = /`\{([^}]+)\}`/.exec(manifest.outputs.nodes.description)?.[1]?.split(/,\s*/);
    const [web] = JSON.parse(statusOutput(status)) as Record<string, unknown>[];
    expect(documented).toContain('behind-by');
    expect(Object.keys(web ?? {})).toEqual(documented);
  });

  it('keeps the alert open while any node is not current', () => {
    expect(statusAlert(status)).toMatchObject({
      label: 'fleet-status',
      healthy: false,
      title: '⚠️ 3 node(s) not current',
    });
    expect(statusAlert({ ...status, nodes: status.nodes.slice(0, 1) }).healthy).toBe(true);
  });
});

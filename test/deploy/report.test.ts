import { describe, expect, it } from 'vitest';
import type { DeployOutcome } from '../../src/deploy/deploy-fleet.js';
import type { DeployNode } from '../../src/deploy/nodes.js';
import {
  deployAnnotations,
  deployFailure,
  deployOutputs,
  deploySummary,
  gantt,
} from '../../src/deploy/report.js';
import type { NodeResult } from '../../src/deploy/rollout.js';

const START = Date.parse('2026-06-01T10:00:00.000Z');
const node = (name: string): DeployNode => ({ name, hostname: name, tags: [], sshOpts: [] });
const at = (ms: number) => new Date(START + ms).toISOString();

function ran(
  name: string,
  wave: number,
  status: NodeResult['status'],
  from: number,
  to: number,
  message: string,
): NodeResult {
  return {
    node: name,
    wave,
    status,
    startedAt: at(from),
    finishedAt: at(to),
    durationMs: to - from,
    message,
  };
}

const OUTCOME: DeployOutcome = {
  plan: {
    strategy: 'canary',
    parallel: 2,
    onFailure: 'halt',
    waves: [
      { number: 1, nodes: [node('media')] },
      { number: 2, nodes: [node('homeserver'), node('gate|way'), node('pi')] },
    ],
  },
  results: [
    ran('media', 1, 'deployed', 0, 2_000, 'activated and confirmed'),
    ran(
      'homeserver',
      2,
      'unhealthy',
      2_010,
      4_500,
      'health check failed: GET http://homeserver/health answered 503',
    ),
    ran('gate|way', 2, 'deployed', 2_010, 3_900, 'activated and confirmed'),
    { node: 'pi', wave: 2, status: 'skipped', message: 'not started: halted after homeserver was unhealthy' },
  ],
  startedAt: START,
  finishedAt: START + 4_600,
  stoppedBecause: 'halted after homeserver was unhealthy',
  cancelled: false,
  dryActivate: false,
  reportFile: '/tmp/report.json',
};

describe('deploy report', () => {
  it('sets result, deployed and failed', () => {
    const outputs = deployOutputs(OUTCOME);
    expect(JSON.parse(outputs.result)).toEqual(OUTCOME.results);
    expect(outputs.deployed).toBe('media,gate|way');
    expect(outputs.failed).toBe('homeserver');
  });

  it('fails the step in one line naming the failed and the skipped', () => {
    expect(deployFailure(OUTCOME)).toBe(
      'Deploy failed: homeserver unhealthy; 1 node(s) not deployed (halted after homeserver was unhealthy)',
    );
    expect(
      deployFailure({ ...OUTCOME, results: OUTCOME.results.slice(0, 1), stoppedBecause: undefined }),
    ).toBeUndefined();
    expect(deployAnnotations(OUTCOME)).toEqual([
      {
        level: 'error',
        title: 'deploy homeserver: unhealthy',
        message: 'health check failed: GET http://homeserver/health answered 503',
      },
    ]);
  });

  it('summarises each wave in a table under a headline', () => {
    const summary = deploySummary(OUTCOME);
    expect(summary).toContain(
      '## ❌ Deploy: 2 deployed, 1 failed, 1 skipped\n\nstrategy **canary** · up to 2 at once · on failure halt · 4.6 s',
    );
    expect(summary).toContain('> [!WARNING]\n> Rollout stopped: halted after homeserver was unhealthy.');
    expect(summary).toContain(
      [
        '### Wave 2',
        '',
        '| Node | Status | Duration | Message |',
        '| --- | --- | --- | --- |',
        '| `homeserver` | 🩺 unhealthy | 2.5 s | health check failed: GET http://homeserver/health answered 503 |',
        '| `gate\\|way` | ✅ deployed | 1.9 s | activated and confirmed |',
        '| `pi` | ⏭️ skipped |  | not started: halted after homeserver was unhealthy |',
      ].join('\n'),
    );
  });

  it('says plainly what a dry run proved and what it did not', () => {
    expect(deploySummary(OUTCOME)).not.toContain('Dry run');
    expect(deploySummary({ ...OUTCOME, dryActivate: true })).toContain(
      "> [!NOTE]\n> Dry run: each node's configuration was built and copied, and nothing was switched. " +
        'It does not prove the configuration activates: deploy-rs reports a dry activation as completed ' +
        'even when the dry activation script fails.',
    );
  });

  it('draws the timeline as a Mermaid Gantt chart relative to the start, leaving out skipped nodes', () => {
    expect(gantt(OUTCOME)).toBe(
      [
        '```mermaid',
        'gantt',
        '  dateFormat x',
        '  axisFormat %M:%S',
        '  section Wave 1',
        '  media ✅ :done, 0, 2000',
        '  section Wave 2',
        '  homeserver 🩺 :crit, 2010, 4500',
        '  gate|way ✅ :done, 2010, 3900',
        '```',
      ].join('\n'),
    );
  });
});

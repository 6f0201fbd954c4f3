import { describe, expect, it } from 'vitest';
import type { DeployNode } from '../../src/deploy/nodes.js';
import { describePlan, type PlanSettings, planRollout } from '../../src/deploy/plan.js';

function node(name: string, tags: string[] = [], wave?: number): DeployNode {
  return { name, hostname: `${name}.lan`, tags, ...(wave === undefined ? {} : { wave }), sshOpts: [] };
}

/** The example fleet's nodes, as the flake lists them (alphabetically). */
const HOMELAB = [
  node('gateway', ['edge', 'network'], 3),
  node('homeserver', ['servers', 'storage'], 2),
  node('media', ['canary', 'servers'], 1),
  node('pi', ['edge', 'arm'], 3),
];

function plan(settings: Partial<PlanSettings>, nodes: DeployNode[] = HOMELAB): string[][] {
  const result = planRollout(
    { targets: ['all'], strategy: 'canary', parallel: 4, onFailure: 'halt', ...settings },
    nodes,
  );
  return result.waves.map((wave) => wave.nodes.map((entry) => entry.name));
}

describe('planRollout', () => {
  it('canary: the node tagged canary alone, then the rest in wave order', () => {
    expect(plan({})).toEqual([['media'], ['homeserver', 'gateway', 'pi']]);
  });

  it('canary without a canary tag takes the first target', () => {
    const nodes = [node('b'), node('a'), node('c')];
    expect(plan({ targets: ['c', 'a', 'b'] }, nodes)).toEqual([['c'], ['a', 'b']]);
  });

  it('waves follows the wave attributes of deploy.nodes', () => {
    expect(plan({ strategy: 'waves' })).toEqual([['media'], ['homeserver'], ['gateway', 'pi']]);
  });

  it('waves from the input, limited to the targets, each node once', () => {
    expect(
      plan({
        strategy: 'waves',
        targets: ['@servers', 'pi'],
        waves: [['@servers'], ['media', 'pi'], ['gateway']],
      }),
    ).toEqual([['media', 'homeserver'], ['pi']]);
  });

  it('waves refuses targets that no wave places, and nodes without a wave number', () => {
    expect(() => plan({ strategy: 'waves', waves: [['@servers']] })).toThrow(
      "Input 'waves' places no wave for targeted node(s) gateway, pi; add them to a wave or narrow 'targets'",
    );
    expect(() => plan({ strategy: 'waves' }, [node('a', [], 1), node('b')])).toThrow(
      "Strategy waves needs a wave for every target: set `wave = N;` in deploy.nodes for b, or give the 'waves' input",
    );
  });

  it('all-at-once is one wave; one-by-one one wave per node', () => {
    expect(plan({ strategy: 'all-at-once' })).toEqual([['media', 'homeserver', 'gateway', 'pi']]);
    expect(plan({ strategy: 'one-by-one', targets: ['@edge', 'media'] })).toEqual([
      ['gateway'],
      ['pi'],
      ['media'],
    ]);
  });

  it('resolves @tags from the nodes and from the tags input together', () => {
    expect(plan({ strategy: 'all-at-once', targets: ['@dns'], tags: { dns: ['pi', 'gateway'] } })).toEqual([
      ['gateway', 'pi'],
    ]);
    expect(plan({ strategy: 'all-at-once', targets: ['@edge'], tags: { edge: ['media'] } })).toEqual([
      ['media', 'gateway', 'pi'],
    ]);
  });

  it('names the known nodes and tags when a selector matches nothing', () => {
    expect(() => plan({ targets: ['medai'] })).toThrow(
      "Input 'targets' names unknown node 'medai'; known nodes: gateway, homeserver, media, pi",
    );
    expect(() => plan({ targets: ['@web'] })).toThrow(
      "Input 'targets' names unknown tag '@web'; known tags: @arm, @canary, @edge, @network, @servers, @storage",
    );
    expect(() => plan({ strategy: 'waves', waves: [['@db']] })).toThrow(
      "Input 'waves' names unknown tag '@db'",
    );
    expect(() => plan({ tags: { web: ['nope'] } })).toThrow(
      "Input 'tags' lists unknown node 'nope' under 'web'; known nodes: gateway, homeserver, media, pi",
    );
    expect(() => plan({ targets: ['@x'] }, [node('a')])).toThrow(
      "known tags: none (give nodes `tags = [ … ]` in deploy.nodes or use the 'tags' input)",
    );
  });

  it('describes the plan in the log before anything runs', () => {
    const result = planRollout(
      { targets: ['all'], strategy: 'canary', parallel: 2, onFailure: 'continue' },
      HOMELAB,
    );
    expect(describePlan(result)).toEqual([
      'Rollout plan: 4 node(s) in 2 wave(s), strategy canary, up to 2 at once, on failure continue',
      '  wave 1: media',
      '  wave 2: homeserver, gateway, pi',
    ]);
  });
});

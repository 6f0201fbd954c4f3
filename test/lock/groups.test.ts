import { describe, expect, it } from 'vitest';
import { globPattern, planUpdates } from '../../src/lock/groups.js';

const directInputs = ['nixpkgs', 'nixpkgs-stable', 'home-manager', 'treefmt-nix', 'secrets'];

describe('planUpdates', () => {
  it('makes one plan for everything without groups or inputs', () => {
    expect(planUpdates({ directInputs, branch: 'flakeflow/lock-update' })).toEqual([
      { branch: 'flakeflow/lock-update', inputs: 'all' },
    ]);
  });

  it('updates only the named inputs, including an input of an input', () => {
    expect(
      planUpdates({
        directInputs,
        inputs: ['nixpkgs', 'home-manager/nixpkgs'],
        branch: 'b',
        hasInputPath: (path) => path === 'home-manager/nixpkgs',
      }),
    ).toEqual([{ branch: 'b', inputs: ['nixpkgs', 'home-manager/nixpkgs'] }]);
  });

  it('refuses an input the flake does not have, naming those it has', () => {
    expect(() => planUpdates({ directInputs, inputs: ['nixpgks'], branch: 'b' })).toThrow(
      "Input 'inputs' names 'nixpgks', which is not an input of this flake (its inputs: nixpkgs, nixpkgs-stable, home-manager, treefmt-nix, secrets)",
    );
  });

  it('gives each input to the first group that matches it, one branch per group', () => {
    const plans = planUpdates({
      directInputs,
      groups: { nixpkgs: ['nixpkgs*', 'home-manager'], tools: ['*'], empty: ['agenix'] },
      branch: 'flakeflow/lock-update',
    });
    expect(plans).toEqual([
      {
        group: 'nixpkgs',
        branch: 'flakeflow/lock-update-nixpkgs',
        inputs: ['nixpkgs', 'nixpkgs-stable', 'home-manager'],
      },
      { group: 'tools', branch: 'flakeflow/lock-update-tools', inputs: ['treefmt-nix', 'secrets'] },
      { group: 'empty', branch: 'flakeflow/lock-update-empty', inputs: [] },
    ]);
  });

  it('keeps groups within the inputs named by `inputs`', () => {
    const plans = planUpdates({
      directInputs,
      inputs: ['secrets', 'nixpkgs'],
      groups: { all: ['*'] },
      branch: 'b',
    });
    expect(plans).toEqual([{ group: 'all', branch: 'b-all', inputs: ['secrets', 'nixpkgs'] }]);
  });
});

describe('globPattern', () => {
  it.each([
    ['nixpkgs-*', 'nixpkgs-stable', true],
    ['nixpkgs-*', 'nixpkgs', false],
    ['nix?kgs', 'nixpkgs', true],
    ['*', 'home-manager/nixpkgs', false],
    ['a.b', 'axb', false],
  ])('%s against %s', (glob, input, matches) => {
    expect(globPattern(glob).test(input)).toBe(matches);
  });
});

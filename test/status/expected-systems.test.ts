import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../src/core/logger.js';
import { NixError, nixErrorText } from '../../src/nix/errors.js';
import { evaluateEachNode, evaluationError } from '../../src/status/expected-systems.js';

const broken = (message: string) => new NixError(['eval', '--json'], message, 1);

/** Evaluates each name to its length, except those `failing` names, recording every call. */
function fakeEvaluation(failing: Record<string, Error>) {
  const calls: string[][] = [];
  const evaluate = async (names: readonly string[]) => {
    calls.push([...names]);
    for (const name of names) {
      const error = failing[name];
      if (error) throw error;
    }
    return new Map(names.map((name) => [name, name.length]));
  };
  return { calls, evaluate };
}

describe('evaluateEachNode', () => {
  it('evaluates every node at once when they all evaluate', async () => {
    const { calls, evaluate } = fakeEvaluation({});
    expect(await evaluateEachNode(['web', 'db'], evaluate, new RecordingLogger())).toEqual(
      new Map([
        ['web', 3],
        ['db', 2],
      ]),
    );
    expect(calls).toEqual([['web', 'db']]);
  });

  it('evaluates each node alone once that fails, so the broken one alone carries its error', async () => {
    const logger = new RecordingLogger();
    const { calls, evaluate } = fakeEvaluation({ db: broken('error: broken: the disk layout is missing') });
    const systems = await evaluateEachNode(['web', 'db', 'pi'], evaluate, logger);
    expect([...systems.entries()]).toEqual([
      ['web', 3],
      ['db', { error: 'broken: the disk layout is missing' }],
      ['pi', 2],
    ]);
    expect(calls).toEqual([['web', 'db', 'pi'], ['web'], ['db'], ['pi']]);
    expect(logger.text()).toContain(
      "The flake's system for db does not evaluate:\nerror: broken: the disk layout is missing",
    );
  });

  it("lets an error that is not Nix's (a bug) through", async () => {
    const { evaluate } = fakeEvaluation({ db: new TypeError('not Nix') });
    await expect(evaluateEachNode(['web', 'db'], evaluate, new RecordingLogger())).rejects.toThrow('not Nix');
  });
});

describe('evaluationError', () => {
  // What Nix printed for a flake whose attribute is a NixOS-style failed assertion (a throw whose
  // message starts on a new line); Nix 2.26 puts the message last, after the trace.
  const FAILED_ASSERTIONS: Record<string, string> = {
    'Nix 2.8':
      "warning: the group 'nixbld' specified in 'build-users-group' does not exist\nerror:\n       Failed assertions:\n       - The fileSystems option does not specify your root file system.\n(use '--show-trace' to show detailed location information)\n",
    'Nix 2.26':
      "warning: the group 'nixbld' specified in 'build-users-group' does not exist\nerror:\n       \u2026 while evaluating the attribute 'x'\n         at /nix/store/00000000000000000000000000000000-source/flake.nix:1:25:\n            1| { outputs = { self }: { x = throw \"\\nFailed assertions:\\n- The fileSystems option does not specify your root file system.\"; }; }\n             |                         ^\n            2|\n\n       \u2026 while calling the 'throw' builtin\n         at /nix/store/00000000000000000000000000000000-source/flake.nix:1:29:\n            1| { outputs = { self }: { x = throw \"\\nFailed assertions:\\n- The fileSystems option does not specify your root file system.\"; }; }\n             |                             ^\n            2|\n\n       error:\n       Failed assertions:\n       - The fileSystems option does not specify your root file system.\n",
  };

  it.each(Object.keys(FAILED_ASSERTIONS))(
    'keeps what %s says of failed assertions, on one line',
    (version) => {
      expect(evaluationError(nixErrorText(FAILED_ASSERTIONS[version] as string))).toBe(
        'Failed assertions: - The fileSystems option does not specify your root file system.',
      );
    },
  );

  it('shortens a long message to one readable line', () => {
    const line = evaluationError(`error: ${'x'.repeat(1000)}`);
    expect(line).toHaveLength(300);
    expect(line.endsWith('…')).toBe(true);
  });
});

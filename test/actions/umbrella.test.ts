import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, actions } from '../../src/actions/index.js';
import { chooseCommand } from '../../src/actions/umbrella.js';
import { UserError } from '../../src/core/errors.js';

function inputs(values: Record<string, string>) {
  return (name: string): string | undefined => values[name];
}

describe('chooseCommand', () => {
  it.each(ACTION_NAMES)('picks %s by its name', (name) => {
    expect(chooseCommand(inputs({ command: name }))).toBe(actions[name]);
  });

  it('accepts the inputs of the chosen command and the shared token', () => {
    const chosen = chooseCommand(
      inputs({ command: ' deploy ', strategy: 'waves', token: 'ghs_x', path: 'infra' }),
    );
    expect(chosen).toBe(actions.deploy);
  });

  it('ignores inputs of other commands that are left empty', () => {
    expect(chooseCommand(inputs({ command: 'gate', strategy: '  ', 'max-jobs': '' }))).toBe(actions.gate);
  });

  it.each([
    [
      { command: 'lint' },
      "Input 'command' must be one of lock-update, gate, hosts, build, report, deploy, backup-verify, status, got 'lint'",
    ],
    [
      {},
      "Input 'command' must be one of lock-update, gate, hosts, build, report, deploy, backup-verify, status, got ''",
    ],
    [
      { command: 'constructor' },
      "Input 'command' must be one of lock-update, gate, hosts, build, report, deploy, backup-verify, status, got 'constructor'",
    ],
    [{ command: 'gate', strategy: 'canary' }, "Input 'strategy' is not an input of command 'gate'"],
    [{ command: 'hosts', checks: 'format' }, "Input 'checks' is not an input of command 'hosts'"],
    [
      { command: 'build', 'ssh-private-key': 'secret-key' },
      "Input 'ssh-private-key' is not an input of command 'build'",
    ],
  ])('refuses %j with one line', (values, message) => {
    expect(() => chooseCommand(inputs(values))).toThrow(new UserError(message));
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { describe, expect, it } from 'vitest';
import { actions, isActionName } from '../../src/actions/index.js';
import { parseInputs } from '../../src/core/inputs.js';
import { type Contexts, interpolate } from './expression.js';
import { CALLERS, type Loose, readWorkflow } from './support.js';

/**
 * The values each caller gives, through its reusable workflow, to each step of ours, parsed by that
 * action's own input schema: a value the action would refuse at run time fails here.
 */

const EVENTS = ['pull_request', 'push', 'workflow_dispatch', 'schedule'] as const;

/** Secrets whose input is parsed into a shape, as a user would fill them; any other is 'secret'. */
const SECRET_VALUES: Record<string, string> = {
  'nix-access-tokens': 'github.com=secret',
  netrc: 'machine cache.example.org login ci password secret',
};

function eventPayload(event: string): Contexts {
  if (event === 'pull_request') return { pull_request: { base: { sha: 'a'.repeat(40) } } };
  return {};
}

/** The `inputs` a reusable workflow sees: its defaults, overridden by what the caller gives. */
function calledInputs(reusable: Loose, given: Record<string, unknown>, callerContexts: Contexts) {
  const inputs: Record<string, string | number | boolean> = {};
  for (const [name, declared] of Object.entries(reusable.on.workflow_call.inputs as Record<string, Loose>)) {
    if (declared.default !== undefined) inputs[name] = declared.default;
  }
  for (const [name, value] of Object.entries(given)) {
    const type = reusable.on.workflow_call.inputs[name]?.type;
    const raw = typeof value === 'string' ? interpolate(value, callerContexts) : value;
    inputs[name] =
      type === 'boolean' ? raw === true || raw === 'true' : type === 'number' ? Number(raw) : String(raw);
  }
  return inputs;
}

/** Dispatch inputs at their defaults, as a manual run with nothing changed gives them. */
function dispatchDefaults(caller: Loose): Contexts {
  const declared = (caller.on?.workflow_dispatch?.inputs ?? {}) as Record<string, Loose>;
  return Object.fromEntries(Object.entries(declared).map(([name, input]) => [name, input.default ?? '']));
}

const cases = CALLERS.flatMap((file) =>
  EVENTS.filter((event) => event in (readWorkflow(`workflows/${file}`).on ?? {})).map(
    (event) => [file, event] as const,
  ),
);

describe('what the callers pass reaches our actions in a shape they accept', () => {
  it('covers every caller', () => {
    expect(new Set(cases.map(([file]) => file))).toEqual(new Set(CALLERS));
  });

  it.each(cases)('%s on %s', (file, event) => {
    const caller = readWorkflow(`workflows/${file}`);
    const [callerJob] = Object.values(caller.jobs as Record<string, Loose>);
    const reusableFile = String(callerJob.uses).replace(/^.*\/([^/@]+)@.*$/, '$1');
    const reusable = readWorkflow(`.github/workflows/${reusableFile}`);
    const github = {
      event_name: event,
      event: eventPayload(event),
      token: 'ghs_job',
      repository: 'alice/homelab',
    };
    const inputs = calledInputs(reusable, callerJob.with ?? {}, { github, inputs: dispatchDefaults(caller) });
    const secrets = Object.fromEntries(
      Object.keys(reusable.on.workflow_call.secrets ?? {}).map((name) => [
        name,
        SECRET_VALUES[name] ?? 'secret',
      ]),
    );
    const contexts: Contexts = {
      github,
      inputs,
      secrets,
      matrix: {
        host: 'homeserver',
        drvPath: `/nix/store/${'b'.repeat(32)}-nixos-system-homeserver.drv`,
        runner: 'ubuntu-latest',
      },
      needs: { hosts: { outputs: { hosts: '[]', matrix: '{"include":[]}', empty: 'false' } } },
      steps: { app: { outputs: { token: '' } }, build: { outputs: { 'result-file': '/tmp/r.json' } } },
      strategy: { 'job-index': 0 },
    };
    let checked = 0;
    for (const job of Object.values(reusable.jobs as Record<string, Loose>)) {
      for (const step of (job.steps ?? []) as Loose[]) {
        const name = /\/actions\/([^/@]+)$/.exec(String(step.uses ?? ''))?.[1];
        if (!name || !isActionName(name)) continue;
        const given = Object.fromEntries(
          Object.entries((step.with ?? {}) as Record<string, unknown>).map(([input, value]) => [
            input,
            interpolate(String(value), contexts),
          ]),
        );
        expect(
          () => parseInputs(actions[name].inputs, (input) => given[input]),
          `${name} in ${reusableFile}`,
        ).not.toThrow();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

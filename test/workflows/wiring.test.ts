// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow expressions are what these tests read and write
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CALLERS, type Loose, REPO, REUSABLE, readText, readWorkflow, workflowFiles } from './support.js';
import {
  checkWorkflow,
  loadWiringContext,
  pinsWithoutVersion,
  scriptOutputs,
  type WiringContext,
} from './wiring.js';

const context = loadWiringContext(REPO);

/** The problems of `path` after `change` edits its parsed YAML. */
function problemsAfter(path: string, change: (workflow: Loose) => void, within: WiringContext = context) {
  const workflow = readWorkflow(path);
  change(workflow);
  return checkWorkflow(path, stringify(workflow), within).map((found) => `${found.where}: ${found.message}`);
}

/** Exactly one problem per fragment, in any order. */
function expectProblems(problems: string[], fragments: string[]): void {
  expect(problems).toHaveLength(fragments.length);
  for (const fragment of fragments) {
    expect(
      problems.filter((found) => found.includes(fragment)),
      fragment,
    ).toHaveLength(1);
  }
}

describe('every workflow file', () => {
  it('lists the four reusable workflows and the four callers', () => {
    const files = workflowFiles();
    for (const name of REUSABLE) expect(files).toContain(`.github/workflows/${name}`);
    for (const name of CALLERS) expect(files).toContain(`workflows/${name}`);
    expect([...context.workflows.keys()].sort()).toEqual([...REUSABLE].sort());
  });

  it.each(workflowFiles())('%s is wired right', (path) => {
    expect(checkWorkflow(path, readText(path), context)).toEqual([]);
  });

  it.each(workflowFiles())('%s pins third-party actions with their version in a comment', (path) => {
    expect(pinsWithoutVersion(readText(path))).toEqual([]);
  });

  it.each(workflowFiles())('%s never mentions pull_request_target', (path) => {
    expect(readText(path)).not.toContain('pull_request_target');
  });
});

describe('the checker finds', () => {
  const gateStep = (workflow: Loose) => workflow.jobs.gate.steps.find((step: Loose) => step.id === 'gate');

  it('an input the action does not declare', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      gateStep(workflow).with.fail_on = 'error';
    });
    expectProblems(problems, ["action 'gate' has no input 'fail_on'"]);
  });

  it('a required input that is not given, reading action.yml live', () => {
    const gate = context.actions.get('gate');
    if (!gate) throw new Error('no gate action');
    const stricter: WiringContext = {
      ...context,
      actions: new Map([
        ...context.actions,
        ['gate', { ...gate, inputs: { ...gate.inputs, token: { required: true } } }],
      ]),
    };
    const problems = problemsAfter('.github/workflows/flake-checks.yml', () => {}, stricter);
    expectProblems(problems, ["required input 'token' of action 'gate' is not given"]);
  });

  it('a step output the action does not have', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.gate.outputs.passed = '${{ steps.gate.outputs.pass }}';
    });
    expectProblems(problems, ["step 'gate' has no output 'pass'"]);
  });

  it('a step output a script does not write', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      const install = workflow.jobs.gate.steps.find((step: Loose) =>
        String(step.name).startsWith('Install Nix (c'),
      );
      install.if = "steps.nix.outputs.present != 'true'";
    });
    expectProblems(problems, ["step 'nix' has no output 'present' (it has found)"]);
  });

  it('a step read before it runs', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      const steps = workflow.jobs.gate.steps;
      steps.unshift({ name: 'too early', if: "steps.gate.outputs.passed == 'true'", run: 'true' });
    });
    expectProblems(problems, ["no earlier step has id 'gate'"]);
  });

  it('a job output that does not exist, and a job that is not needed', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.build.strategy.matrix = '${{ fromJSON(needs.hosts.outputs.matrices) }}';
      workflow.jobs.build.if = "needs.gate.outputs.passed == 'true'";
    });
    expectProblems(problems, ["job 'hosts' has no output 'matrices'", "job 'build' does not need 'gate'"]);
  });

  it('a workflow_call output mapped to a job output that does not exist', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.on.workflow_call.outputs.failed.value = '${{ jobs.report.outputs.failures }}';
    });
    expectProblems(problems, ["job 'report' has no output 'failures'"]);
  });

  it('an input or secret the workflow does not declare', () => {
    const problems = problemsAfter('.github/workflows/deploy.yml', (workflow) => {
      const deploy = workflow.jobs.deploy.steps.find((step: Loose) => step.id === 'deploy');
      deploy.with.boot = '${{ inputs.boot }}';
      deploy.with['ssh-private-key'] = '${{ secrets.DEPLOY_SSH_PRIVATE_KEY }}';
    });
    expectProblems(problems, [
      "the workflow declares no input 'boot'",
      "declares no secret 'DEPLOY_SSH_PRIVATE_KEY'",
    ]);
  });

  it('a job without permissions, and write-all', () => {
    const problems = problemsAfter('.github/workflows/backup-verify.yml', (workflow) => {
      delete workflow.jobs.verify.permissions;
    });
    expect(problems).toEqual(['jobs.verify: declares no permissions']);
    const writeAll = problemsAfter('workflows/pr-checks.yml', (workflow) => {
      workflow.jobs['flake-checks'].permissions = 'write-all';
    });
    expectProblems(writeAll, ['write-all is never least privilege']);
  });

  it('third-party actions pinned to a tag, and pins without a version comment', () => {
    const problems = problemsAfter('.github/workflows/lock-update.yml', (workflow) => {
      workflow.jobs['lock-update'].steps[1].uses = 'actions/checkout@v6';
    });
    expectProblems(problems, ['actions/checkout@v6: pin third-party actions']);
    const text = readText('.github/workflows/lock-update.yml').replace(' # v3.2.0', '');
    expect(pinsWithoutVersion(text)).toEqual([expect.stringContaining('actions/create-github-app-token@')]);
  });

  it('expressions interpolated into run:', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.gate.steps.push({ run: 'echo "${{ github.event.pull_request.title }}"' });
      workflow.jobs.hosts.steps.push({ run: 'nix build "${{ inputs.path }}"' });
    });
    expectProblems(problems, [
      'jobs.gate.steps[8]: run: interpolates',
      'jobs.hosts.steps[9]: run: interpolates',
    ]);
  });

  it('pull_request_target', () => {
    const problems = problemsAfter('workflows/pr-checks.yml', (workflow) => {
      workflow.on.pull_request_target = null;
    });
    expectProblems(problems, ['pull_request_target runs with a write token']);
  });

  it('our action used without a flakeflow checkout, or one at another ref', () => {
    const missing = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.report.steps.shift();
    });
    expectProblems(missing, ['no earlier step checks flakeflow out there']);
    const otherRef = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.report.steps[0].with.ref = 'main';
    });
    expectProblems(otherRef, ['must use ref: ${{ inputs.flakeflow-ref }}']);
  });

  it('deployments that a pull request could start', () => {
    const caller = problemsAfter('workflows/deploy.yml', (workflow) => {
      workflow.on.pull_request = null;
    });
    expect(caller).toEqual(['jobs.deploy: deploys, but the workflow runs on pull_request']);
    const reusable = problemsAfter('.github/workflows/deploy.yml', (workflow) => {
      delete workflow.jobs.deploy.if;
    });
    expectProblems(reusable, ['its if: must admit only']);
  });

  it('callers that give a reusable workflow what it does not declare, or miss what it requires', () => {
    const problems = problemsAfter('workflows/deploy.yml', (workflow) => {
      const deploy = workflow.jobs.deploy;
      deploy.with.target = 'all';
      deploy.with['dry-activate'] = 'yes';
      delete deploy.with['runner-labels'];
      deploy.secrets['ssh-key'] = '${{ secrets.KEY }}';
    });
    expectProblems(problems, [
      "deploy.yml has no input 'target'",
      "input 'dry-activate' must be a boolean",
      "required input 'runner-labels' of deploy.yml is not given",
      "deploy.yml has no secret 'ssh-key'",
    ]);
  });

  it('callers that would run the actions of another flakeflow ref than the workflow', () => {
    const problems = problemsAfter('workflows/backup-verify.yml', (workflow) => {
      workflow.jobs['backup-verify'].uses = 'flakeflow/flakeflow/.github/workflows/backup-verify.yml@v2';
    });
    expectProblems(problems, ['runs the actions of flakeflow v1; pass flakeflow-ref: v2']);
    const pinned = problemsAfter('workflows/backup-verify.yml', (workflow) => {
      const sha = 'a'.repeat(40);
      workflow.jobs['backup-verify'].uses = `flakeflow/flakeflow/.github/workflows/backup-verify.yml@${sha}`;
      workflow.jobs['backup-verify'].with['flakeflow-ref'] = sha;
    });
    expect(pinned).toEqual([]);
  });

  it('callers that grant less than the reusable workflow asks', () => {
    const problems = problemsAfter('workflows/pr-checks.yml', (workflow) => {
      workflow.jobs['flake-checks'].permissions = { contents: 'read' };
    });
    expectProblems(problems, ['needs pull-requests: write, which this job does not grant']);
  });

  it('needs that name no job', () => {
    const problems = problemsAfter('.github/workflows/flake-checks.yml', (workflow) => {
      workflow.jobs.report.needs = ['hosts', 'builds'];
    });
    expect(problems).toContain("jobs.report: needs 'builds', which is not a job of this workflow");
  });
});

describe('scriptOutputs', () => {
  it('reads the names a script writes to GITHUB_OUTPUT', () => {
    const script = [
      'echo "found=true" >> "$GITHUB_OUTPUT"',
      "echo 'count=3' >> $GITHUB_OUTPUT",
      'printf "report<<EOF\\n%s\\nEOF\\n" "$x" >> "${GITHUB_OUTPUT}"',
      'echo "not-an-output=1"',
    ].join('\n');
    expect(scriptOutputs(script)).toEqual(['found', 'count', 'report']);
  });
});

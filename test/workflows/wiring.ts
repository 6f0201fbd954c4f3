import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Permissions, permissionsOf, permissionsShortfall } from './permissions.js';

/**
 * Checks how a workflow is wired to flakeflow: the inputs its steps give our actions, the inputs and
 * secrets its jobs give our reusable workflows, the step and job outputs its expressions read, its
 * permissions, its third-party pins, and the rules that keep deployments and scripts safe. It reads
 * action.yml and the reusable workflows live, so it also serves generated callers (`flakeflow init`).
 */

export const FLAKEFLOW_REPOSITORY = 'flakeflow/flakeflow';
/** The ref every flakeflow checkout of a reusable workflow must use. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, written as workflows write it
export const FLAKEFLOW_REF_EXPRESSION = '${{ inputs.flakeflow-ref }}';

export interface ActionInput {
  required: boolean;
  default?: string;
}

export interface ActionManifest {
  name: string;
  inputs: Record<string, ActionInput>;
  outputs: string[];
}

export interface WorkflowInput {
  type: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required: boolean;
  default?: unknown;
}

/** What a reusable workflow offers its callers. */
export interface CallableWorkflow {
  file: string;
  inputs: Record<string, WorkflowInput>;
  secrets: Record<string, { required: boolean }>;
  outputs: string[];
  /** What its jobs ask for together: a caller job must grant at least this. */
  permissions: Permissions;
}

export interface WiringContext {
  /** Our actions by name (`gate`, `build`, …), from `actions/<name>/action.yml`. */
  actions: ReadonlyMap<string, ActionManifest>;
  /** Our reusable workflows by file name (`flake-checks.yml`), from `.github/workflows/`. */
  workflows: ReadonlyMap<string, CallableWorkflow>;
}

export interface WiringProblem {
  file: string;
  /** `jobs.<job>` or `jobs.<job>.steps[<n>]`, or empty for the whole file. */
  where: string;
  message: string;
}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

/** The triggers of `on:`, however it is written (a word, a list or a map). */
export function triggersOf(workflow: Mapping): Mapping {
  const on = workflow.on ?? workflow.true; // YAML 1.1 readers turn a bare `on` key into true
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((event) => [String(event), null]));
  return mapping(on);
}

export function readActionManifest(name: string, text: string): ActionManifest {
  const manifest = mapping(parse(text));
  const inputs: Record<string, ActionInput> = {};
  for (const [input, declared] of Object.entries(mapping(manifest.inputs))) {
    const fields = mapping(declared);
    inputs[input] = {
      required: fields.required === true,
      ...(fields.default !== undefined ? { default: String(fields.default) } : {}),
    };
  }
  return { name, inputs, outputs: Object.keys(mapping(manifest.outputs)) };
}

export function readCallableWorkflow(file: string, text: string): CallableWorkflow | undefined {
  const workflow = mapping(parse(text));
  const call = triggersOf(workflow).workflow_call;
  if (call === undefined) return undefined;
  const declared = mapping(call);
  const inputs: Record<string, WorkflowInput> = {};
  for (const [name, input] of Object.entries(mapping(declared.inputs))) {
    const fields = mapping(input);
    inputs[name] = {
      type: (fields.type as WorkflowInput['type']) ?? 'string',
      required: fields.required === true,
      ...(fields.default !== undefined ? { default: fields.default } : {}),
    };
  }
  const secrets = Object.fromEntries(
    Object.entries(mapping(declared.secrets)).map(([name, secret]) => [
      name,
      { required: mapping(secret).required === true },
    ]),
  );
  const jobs = Object.values(mapping(workflow.jobs)).map(mapping);
  const permissions = jobs.reduce<Permissions>(
    (union, job) => unionPermissions(union, permissionsOf(job.permissions ?? workflow.permissions)),
    {},
  );
  return { file, inputs, secrets, outputs: Object.keys(mapping(declared.outputs)), permissions };
}

function unionPermissions(a: Permissions, b: Permissions): Permissions {
  const union: Permissions = { ...a };
  for (const [scope, level] of Object.entries(b)) {
    if (level === 'write' || union[scope] === undefined || union[scope] === 'none') union[scope] = level;
  }
  return union;
}

/** Reads every action.yml and reusable workflow of a flakeflow checkout, as they are now. */
export function loadWiringContext(root: string): WiringContext {
  const actions = new Map<string, ActionManifest>();
  for (const entry of readdirSync(join(root, 'actions'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(root, 'actions', entry.name, 'action.yml');
    actions.set(entry.name, readActionManifest(entry.name, readFileSync(path, 'utf8')));
  }
  const workflows = new Map<string, CallableWorkflow>();
  const folder = join(root, '.github', 'workflows');
  for (const file of readdirSync(folder).filter((name) => /\.ya?ml$/.test(name))) {
    const callable = readCallableWorkflow(file, readFileSync(join(folder, file), 'utf8'));
    if (callable) workflows.set(file, callable);
  }
  return { actions, workflows };
}

/** `flakeflow/flakeflow/.github/workflows/x.yml@ref`, `./.github/workflows/x.yml`, or undefined. */
function reusableWorkflowRef(uses: string): { repository?: string; file: string; ref?: string } | undefined {
  const local = /^\.\/\.github\/workflows\/([^/@]+\.ya?ml)$/.exec(uses);
  if (local) return { file: local[1] as string };
  const remote = /^([^/@]+\/[^/@]+)\/\.github\/workflows\/([^/@]+\.ya?ml)@(.+)$/.exec(uses);
  if (remote) return { repository: remote[1] as string, file: remote[2] as string, ref: remote[3] as string };
  return undefined;
}

const SHA_PINNED = /^[^@\s]+@[0-9a-f]{40}$/;

/** Expressions inside `${{ }}`; an `if:` without them is one expression as a whole. */
function expressionsOf(value: string, isCondition: boolean): string[] {
  const found = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1] as string);
  if (found.length === 0 && isCondition) return [value];
  return found;
}

interface Reference {
  context: 'steps' | 'needs' | 'inputs' | 'secrets' | 'jobs';
  name: string;
  property?: string;
  key?: string;
  text: string;
}

/** `steps.x.outputs.y`, `needs.x.result`, `inputs.x`, … with string literals left out. */
export function referencesOf(expression: string): Reference[] {
  const code = expression.replace(/'(?:[^']|'')*'/g, "''");
  const pattern =
    /(?<![\w.-])(steps|needs|inputs|secrets|jobs)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?(?:\.([A-Za-z_][\w-]*))?/g;
  return [...code.matchAll(pattern)].map((match) => ({
    context: match[1] as Reference['context'],
    name: match[2] as string,
    ...(match[3] ? { property: match[3] } : {}),
    ...(match[4] ? { key: match[4] } : {}),
    text: match[0],
  }));
}

/** Names a `run:` script writes to GITHUB_OUTPUT: `echo "name=value" >> "$GITHUB_OUTPUT"` or `name<<DELIM`. */
export function scriptOutputs(script: string): string[] {
  const names = new Set<string>();
  for (const line of script.split('\n')) {
    if (!/GITHUB_OUTPUT/.test(line)) continue;
    const written = /(?:echo|printf)\s+(?:-[a-z]+\s+)?["']?([A-Za-z_][\w-]*)(?:=|<<)/.exec(line);
    if (written) names.add(written[1] as string);
  }
  return [...names];
}

/** Outputs of a step: a set of names, or `any` when the step is a third-party action we cannot read. */
type StepOutputs = ReadonlySet<string> | 'any';

interface JobScope {
  id: string;
  needs: string[];
  steps: Map<string, StepOutputs>;
}

interface FileScope {
  file: string;
  inputs: Record<string, unknown> | undefined;
  secrets: Set<string> | undefined;
  jobs: Mapping;
  context: WiringContext;
  problems: WiringProblem[];
}

function problem(scope: FileScope, where: string, message: string): void {
  scope.problems.push({ file: scope.file, where, message });
}

/** Outputs another job offers through `needs.<job>.outputs`. */
function jobOutputs(scope: FileScope, jobId: string): string[] | undefined {
  const job = scope.jobs[jobId];
  if (!isMapping(job)) return undefined;
  if (typeof job.uses === 'string') {
    const called = reusableWorkflowRef(job.uses);
    const callable = called && scope.context.workflows.get(called.file);
    if (callable) return callable.outputs;
  }
  return Object.keys(mapping(job.outputs));
}

function checkReference(scope: FileScope, where: string, reference: Reference, job?: JobScope): void {
  const { context, name, property, key, text } = reference;
  if (context === 'steps') {
    const outputs = job?.steps.get(name);
    if (outputs === undefined) {
      const why = job ? `no earlier step has id '${name}'` : 'steps are only visible inside a job';
      problem(scope, where, `${text}: ${why}`);
    } else if (property === 'outputs' && key && outputs !== 'any' && !outputs.has(key)) {
      const known = outputs.size > 0 ? [...outputs].join(', ') : 'none';
      problem(scope, where, `${text}: step '${name}' has no output '${key}' (it has ${known})`);
    }
  } else if (context === 'needs') {
    if (!job?.needs.includes(name)) {
      const why = job ? `job '${job.id}' does not need '${name}'` : 'needs is only visible inside a job';
      problem(scope, where, `${text}: ${why}`);
    } else if (property === 'outputs' && key && !(jobOutputs(scope, name) ?? []).includes(key)) {
      problem(scope, where, `${text}: job '${name}' has no output '${key}'`);
    }
  } else if (context === 'jobs') {
    if (property === 'outputs' && key && !(jobOutputs(scope, name) ?? []).includes(key)) {
      problem(scope, where, `${text}: job '${name}' has no output '${key}'`);
    }
  } else if (context === 'inputs') {
    if (!scope.inputs || !(name in scope.inputs)) {
      problem(scope, where, `${text}: the workflow declares no input '${name}'`);
    }
  } else if (context === 'secrets' && scope.secrets && !scope.secrets.has(name.toLowerCase())) {
    problem(scope, where, `${text}: the workflow_call trigger declares no secret '${name}'`);
  }
}

/** Every string under `value`, with the key path it sits at. */
function stringsOf(value: unknown, path: string[] = []): Array<{ path: string[]; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsOf(item, [...path, String(index)]));
  if (isMapping(value)) return Object.entries(value).flatMap(([k, v]) => stringsOf(v, [...path, k]));
  return [];
}

function checkExpressions(scope: FileScope, where: string, value: unknown, job?: JobScope): void {
  for (const { path, text } of stringsOf(value)) {
    const isCondition = path[path.length - 1] === 'if';
    for (const expression of expressionsOf(text, isCondition)) {
      for (const reference of referencesOf(expression)) checkReference(scope, where, reference, job);
    }
  }
}

/** Our action a step runs, by its local path after a flakeflow checkout or its published path. */
function ourAction(uses: string, flakeflowCheckouts: ReadonlySet<string>): string | undefined | null {
  const published = /^flakeflow\/flakeflow\/actions\/([^/@]+)@.+$/.exec(uses);
  if (published) return published[1] as string;
  const local = /^\.\/(?:(.+)\/)?actions\/([^/]+)$/.exec(uses);
  if (!local) return undefined;
  return flakeflowCheckouts.has(local[1] ?? '') ? (local[2] as string) : null;
}

function isCheckout(uses: string): boolean {
  return /^actions\/checkout@/.test(uses);
}

function checkStepAction(
  scope: FileScope,
  where: string,
  step: Mapping,
  uses: string,
  flakeflowCheckouts: ReadonlySet<string>,
): StepOutputs {
  const name = ourAction(uses, flakeflowCheckouts);
  if (name === null) {
    problem(
      scope,
      where,
      `${uses}: no earlier step checks flakeflow out there, so the action cannot be found`,
    );
    return 'any';
  }
  if (name === undefined) {
    if (uses.startsWith('./')) return 'any';
    if (uses.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(uses)) problem(scope, where, `${uses}: pin the image by digest`);
    } else if (!SHA_PINNED.test(uses)) {
      problem(scope, where, `${uses}: pin third-party actions to a full 40-character commit SHA`);
    }
    return 'any';
  }
  const action = scope.context.actions.get(name);
  if (!action) {
    problem(scope, where, `${uses}: flakeflow has no action '${name}'`);
    return 'any';
  }
  const given = mapping(step.with);
  for (const input of Object.keys(given)) {
    if (!(input in action.inputs)) problem(scope, where, `${uses}: action '${name}' has no input '${input}'`);
  }
  for (const [input, declared] of Object.entries(action.inputs)) {
    if (declared.required && declared.default === undefined && !(input in given)) {
      problem(scope, where, `${uses}: required input '${input}' of action '${name}' is not given`);
    }
  }
  return new Set(action.outputs);
}

/** The directory a step checks flakeflow out into, when it does. */
function flakeflowCheckoutPath(step: Mapping, inCallable: boolean): string | undefined {
  if (typeof step.uses !== 'string' || !isCheckout(step.uses)) return undefined;
  const given = mapping(step.with);
  const repository = given.repository;
  if (repository === undefined) return inCallable ? undefined : String(given.path ?? '');
  const named =
    repository === FLAKEFLOW_REPOSITORY ||
    (typeof repository === 'string' && /\$\{\{\s*inputs\.flakeflow-repository\s*\}\}/.test(repository));
  return named ? String(given.path ?? '') : undefined;
}

function checkSteps(scope: FileScope, jobId: string, job: Mapping, jobScope: JobScope): void {
  const steps = Array.isArray(job.steps) ? job.steps.map(mapping) : [];
  const inCallable = scope.secrets !== undefined;
  const flakeflowCheckouts = new Set<string>();
  const all = new Map<string, StepOutputs>();
  steps.forEach((step, index) => {
    const where = `jobs.${jobId}.steps[${index}]${typeof step.name === 'string' ? ` (${step.name})` : ''}`;
    checkExpressions(scope, where, { ...step, run: undefined }, jobScope);
    let outputs: StepOutputs = new Set<string>();
    if (typeof step.run === 'string') {
      if (/\$\{\{/.test(step.run)) {
        problem(scope, where, 'run: interpolates an expression into the script; pass the value through env:');
      }
      outputs = new Set(scriptOutputs(step.run));
    } else if (typeof step.uses === 'string') {
      outputs = checkStepAction(scope, where, step, step.uses, flakeflowCheckouts);
      const checkoutPath = flakeflowCheckoutPath(step, inCallable);
      if (checkoutPath !== undefined) {
        flakeflowCheckouts.add(checkoutPath);
        if (inCallable && mapping(step.with).ref !== FLAKEFLOW_REF_EXPRESSION) {
          problem(scope, where, `the flakeflow checkout must use ref: ${FLAKEFLOW_REF_EXPRESSION}`);
        }
      }
    }
    if (typeof step.id === 'string') {
      jobScope.steps.set(step.id, outputs);
      all.set(step.id, outputs);
    }
  });
  // Job outputs may read any step of the job.
  checkExpressions(scope, `jobs.${jobId}.outputs`, job.outputs, { ...jobScope, steps: all });
}

function literalMatchesType(value: unknown, type: WorkflowInput['type']): boolean {
  if (typeof value === 'string' && /\$\{\{/.test(value)) return true;
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'number') return typeof value === 'number';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function checkWorkflowCall(scope: FileScope, jobId: string, job: Mapping, uses: string): void {
  const where = `jobs.${jobId}`;
  const called = reusableWorkflowRef(uses);
  const ours = called && (called.repository === undefined || called.repository === FLAKEFLOW_REPOSITORY);
  if (!called || !ours) {
    if (!SHA_PINNED.test(uses))
      problem(scope, where, `${uses}: pin third-party workflows to a full commit SHA`);
    return;
  }
  const callable = scope.context.workflows.get(called.file);
  if (!callable) {
    problem(scope, where, `${uses}: flakeflow has no reusable workflow ${called.file}`);
    return;
  }
  const given = mapping(job.with);
  for (const [name, value] of Object.entries(given)) {
    const input = callable.inputs[name];
    if (!input) problem(scope, where, `${uses}: ${called.file} has no input '${name}'`);
    else if (!literalMatchesType(value, input.type)) {
      problem(scope, where, `${uses}: input '${name}' must be a ${input.type}, got ${JSON.stringify(value)}`);
    }
  }
  for (const [name, input] of Object.entries(callable.inputs)) {
    if (input.required && !(name in given)) {
      problem(scope, where, `${uses}: required input '${name}' of ${called.file} is not given`);
    }
  }
  if (job.secrets !== 'inherit') {
    const secrets = mapping(job.secrets);
    for (const name of Object.keys(secrets)) {
      if (!(name in callable.secrets))
        problem(scope, where, `${uses}: ${called.file} has no secret '${name}'`);
    }
    for (const [name, secret] of Object.entries(callable.secrets)) {
      if (secret.required && !(name in secrets)) {
        problem(scope, where, `${uses}: required secret '${name}' of ${called.file} is not given`);
      }
    }
  }
  if (called.ref !== undefined) {
    const ref = given['flakeflow-ref'] ?? callable.inputs['flakeflow-ref']?.default;
    if (ref !== called.ref) {
      problem(
        scope,
        where,
        `${uses}: runs the actions of flakeflow ${String(ref)}; pass flakeflow-ref: ${called.ref}`,
      );
    }
    const repository = given['flakeflow-repository'] ?? callable.inputs['flakeflow-repository']?.default;
    if (repository !== undefined && repository !== called.repository) {
      problem(scope, where, `${uses}: runs the actions of ${String(repository)}; pass flakeflow-repository`);
    }
  }
  for (const shortfall of permissionsShortfall(permissionsOf(job.permissions), callable.permissions)) {
    problem(scope, where, `${uses}: ${called.file} needs ${shortfall}, which this job does not grant`);
  }
}

const DEPLOY_GUARD = "github.event_name == 'workflow_dispatch'";

/** Deployments run only for workflow_dispatch (or an opted-in push), never for pull requests. */
function checkDeployJob(scope: FileScope, jobId: string, job: Mapping, triggers: Mapping): void {
  const where = `jobs.${jobId}`;
  for (const event of ['pull_request', 'pull_request_target', 'pull_request_review', 'issue_comment']) {
    if (event in triggers) problem(scope, where, `deploys, but the workflow runs on ${event}`);
  }
  if ('workflow_call' in triggers) {
    const condition = typeof job.if === 'string' ? job.if : '';
    if (!condition.includes(DEPLOY_GUARD) || /pull_request/.test(condition)) {
      problem(
        scope,
        where,
        `deploys from a reusable workflow, so its if: must admit only ${DEPLOY_GUARD} (or push)`,
      );
    }
  }
}

function usesDeploy(job: Mapping, context: WiringContext): boolean {
  if (typeof job.uses === 'string') return reusableWorkflowRef(job.uses)?.file === 'deploy.yml';
  const steps = Array.isArray(job.steps) ? job.steps.map(mapping) : [];
  return steps.some(
    (step) =>
      typeof step.uses === 'string' &&
      /(?:^|\/)actions\/deploy(?:@|$)/.test(step.uses) &&
      context.actions.has('deploy'),
  );
}

/** Every problem of one workflow file; an empty list when it is wired right. */
export function checkWorkflow(file: string, text: string, context: WiringContext): WiringProblem[] {
  let workflow: Mapping;
  try {
    workflow = mapping(parse(text));
  } catch (error) {
    return [{ file, where: '', message: `not YAML: ${(error as Error).message.split('\n')[0]}` }];
  }
  const triggers = triggersOf(workflow);
  const call = triggers.workflow_call;
  const dispatch = triggers.workflow_dispatch;
  const declaredInputs =
    call !== undefined || isMapping(dispatch)
      ? { ...mapping(mapping(dispatch).inputs), ...mapping(mapping(call).inputs) }
      : undefined;
  const scope: FileScope = {
    file,
    inputs: declaredInputs,
    secrets:
      call !== undefined
        ? new Set([
            'github_token',
            ...Object.keys(mapping(mapping(call).secrets)).map((s) => s.toLowerCase()),
          ])
        : undefined,
    jobs: mapping(workflow.jobs),
    context,
    problems: [],
  };
  if (Object.keys(triggers).length === 0) problem(scope, '', 'no `on:` triggers');
  if ('pull_request_target' in triggers) {
    problem(scope, 'on', 'pull_request_target runs with a write token on untrusted code: never use it');
  }
  if (Object.keys(scope.jobs).length === 0) problem(scope, '', 'no jobs');
  checkExpressions(scope, 'on.workflow_call.outputs', mapping(call).outputs);

  for (const [jobId, value] of Object.entries(scope.jobs)) {
    const job = mapping(value);
    const where = `jobs.${jobId}`;
    const needs =
      typeof job.needs === 'string' ? [job.needs] : Array.isArray(job.needs) ? job.needs.map(String) : [];
    for (const need of needs) {
      if (!(need in scope.jobs))
        problem(scope, where, `needs '${need}', which is not a job of this workflow`);
    }
    if (job.permissions === undefined) problem(scope, where, 'declares no permissions');
    else if (job.permissions === 'write-all')
      problem(scope, where, 'permissions: write-all is never least privilege');
    const jobScope: JobScope = { id: jobId, needs, steps: new Map() };
    const { steps: _steps, outputs: _outputs, ...jobFields } = job;
    checkExpressions(scope, where, jobFields, jobScope);
    if (typeof job.uses === 'string') checkWorkflowCall(scope, jobId, job, job.uses);
    else checkSteps(scope, jobId, job, jobScope);
    if (usesDeploy(job, context)) checkDeployJob(scope, jobId, job, triggers);
  }
  return scope.problems;
}

/** Third-party `uses:` lines whose SHA pin carries no version comment (`@<sha> # v1.2.3`). */
export function pinsWithoutVersion(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^\s*(?:-\s+)?uses:\s*[^.\s][^@\s]*@[0-9a-f]{40}/.test(line))
    .filter((line) => !/@[0-9a-f]{40}\s+#\s*v\d+(?:\.\d+)*\s*$/.test(line))
    .map((line) => line.trim());
}

#!/usr/bin/env node
// Writes the generated parts of README.md: one section per action (inputs and outputs tables from
// actions/<name>/action.yml) and the inputs of each reusable workflow (from .github/workflows/). Each
// part sits between `<!-- <part>:start -->` and `<!-- <part>:end -->`; the rest of the README is
// written by hand. `--check` changes nothing and exits 1 when README.md is out of date.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

/** Pipeline order; actions added later follow, by name. */
const ACTION_ORDER = ['lock-update', 'gate', 'hosts', 'build', 'report', 'deploy', 'backup-verify', 'status'];
const WORKFLOW_ORDER = [
  'flake-checks.yml',
  'lock-update.yml',
  'deploy.yml',
  'backup-verify.yml',
  'fleet-status.yml',
];
const PUBLISHED = 'flakeflow/flakeflow';
const RELEASE = 'v1';

function ordered(names, order) {
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** One table cell: one line, pipes escaped. */
function cell(text) {
  return String(text ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

function code(value) {
  const text = String(value);
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A default of several lines (the published known_hosts) is too long for a table cell: its size stands in. */
function defaultCell(value) {
  if (value === undefined || value === '') return '';
  const lines = String(value).split('\n').length;
  return lines > 1 ? `${lines} lines, see action.yml` : code(value);
}

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The manifests of `actions/<name>/action.yml`, as they are on disk now. */
export async function readActionManifests(root) {
  const entries = await readdir(join(root, 'actions'), { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  return Promise.all(
    ordered(names, ACTION_ORDER).map(async (name) => ({
      name,
      manifest: parse(await readFile(join(root, 'actions', name, 'action.yml'), 'utf8')),
    })),
  );
}

/** The reusable workflows of `.github/workflows/` (those with `on: workflow_call`). */
export async function readReusableWorkflows(root) {
  const folder = join(root, '.github', 'workflows');
  const files = (await readdir(folder)).filter((file) => /\.ya?ml$/.test(file));
  const workflows = await Promise.all(
    files.map(async (file) => ({ file, workflow: parse(await readFile(join(folder, file), 'utf8')) })),
  );
  const callable = workflows.filter(({ workflow }) => workflow?.on && 'workflow_call' in Object(workflow.on));
  return ordered(
    callable.map(({ file }) => file),
    WORKFLOW_ORDER,
  ).map((file) => callable.find((entry) => entry.file === file));
}

export function renderAction({ name, manifest }) {
  const inputs = Object.entries(manifest.inputs ?? {});
  const outputs = Object.entries(manifest.outputs ?? {});
  const lines = [
    `### \`${name}\``,
    '',
    cell(manifest.description),
    '',
    '```yaml',
    `- uses: ${PUBLISHED}/actions/${name}@${RELEASE}`,
    '```',
    '',
  ];
  if (inputs.length > 0) {
    lines.push(
      table(
        ['input', 'required', 'default', 'description'],
        inputs.map(([input, declared]) => [
          code(input),
          declared?.required === true ? 'yes' : 'no',
          defaultCell(declared?.default),
          cell(declared?.description),
        ]),
      ),
      '',
    );
  }
  if (outputs.length > 0) {
    lines.push(
      table(
        ['output', 'description'],
        outputs.map(([output, declared]) => [code(output), cell(declared?.description)]),
      ),
      '',
    );
  }
  return lines.join('\n');
}

export function renderWorkflow({ file, workflow }) {
  const call = workflow.on.workflow_call ?? {};
  const inputs = Object.entries(call.inputs ?? {});
  const secrets = Object.entries(call.secrets ?? {});
  const rows = [
    ...inputs.map(([input, declared]) => [
      code(input),
      cell(declared?.type ?? 'string'),
      declared?.required === true ? 'yes' : 'no',
      defaultCell(declared?.default),
      cell(declared?.description),
    ]),
    ...secrets.map(([secret, declared]) => [
      code(secret),
      'secret',
      declared?.required === true ? 'yes' : 'no',
      '',
      cell(declared?.description),
    ]),
  ];
  return [
    '<details>',
    `<summary><code>${file}</code>: ${inputs.length} inputs, ${secrets.length} secrets</summary>`,
    '',
    table(['name', 'type', 'required', 'default', 'description'], rows),
    '',
    '</details>',
    '',
  ].join('\n');
}

export async function renderActionsPart(root) {
  const actions = await readActionManifests(root);
  return [
    `Generated from \`actions/<name>/action.yml\` by \`npm run docs\`. Every action is also reachable through the`,
    'umbrella action at the repository root with `command: <name>`.',
    '',
    ...actions.map(renderAction),
  ].join('\n');
}

export async function renderWorkflowsPart(root) {
  const workflows = await readReusableWorkflows(root);
  return workflows.map(renderWorkflow).join('\n');
}

/** `readme` with the text between the part's markers replaced; throws when the markers are missing. */
export function replacePart(readme, part, content) {
  const start = `<!-- ${part}:start -->`;
  const end = `<!-- ${part}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1 || to < from) throw new Error(`README.md lacks the markers ${start} … ${end}`);
  return `${readme.slice(0, from + start.length)}\n${content.trimEnd()}\n${readme.slice(to)}`;
}

/** README.md as `npm run docs` would write it. */
export async function renderReadme(root) {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const withActions = replacePart(readme, 'actions', await renderActionsPart(root));
  return replacePart(withActions, 'workflows', await renderWorkflowsPart(root));
}

async function main() {
  const root = new URL('..', import.meta.url).pathname;
  const path = join(root, 'README.md');
  const current = await readFile(path, 'utf8');
  const next = await renderReadme(root);
  if (current === next) {
    console.log('README.md is up to date');
    return;
  }
  if (process.argv.includes('--check')) {
    console.error('README.md is out of date with action.yml or the reusable workflows: run `npm run docs`');
    process.exitCode = 1;
    return;
  }
  await writeFile(path, next);
  console.log('README.md updated');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

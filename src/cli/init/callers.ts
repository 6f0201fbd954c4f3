import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Document, isMap, isScalar, parseDocument, Scalar, type YAMLMap } from 'yaml';
import { maxAgeForSchedule } from '../../backup/jobs.js';
import { workflowCacheInputs } from '../../nix/flake-caches.js';
import { findCheckoutFile } from '../checkout.js';
import { wrapWords } from '../wrap-words.js';
import type { FleetFacts, InspectedBackup } from './inspect.js';

/**
 * The five callers of `workflows/`, filled with what `flakeflow init` found in the flake. They are
 * read from the very files flakeflow ships, and only the values a fleet decides are changed, so the
 * generated callers stay wired exactly like the shipped ones.
 */

export const CALLER_FILES = [
  'pr-checks.yml',
  'lock-update.yml',
  'deploy.yml',
  'backup-verify.yml',
  'fleet-status.yml',
] as const;
export type CallerFile = (typeof CALLER_FILES)[number];

/** GitHub-hosted runners by Nix system; other systems need a runner of the user's own. */
export const HOSTED_RUNNERS: Readonly<Record<string, string>> = {
  'x86_64-linux': 'ubuntu-latest',
  'aarch64-linux': 'ubuntu-24.04-arm',
  'aarch64-darwin': 'macos-latest',
  'x86_64-darwin': 'macos-15-intel',
};

export interface CallerOptions {
  /** The branch pushes to which are checked (and deployed, when opted in). */
  defaultBranch: string;
}

function readTemplate(file: CallerFile): Document.Parsed {
  const path = findCheckoutFile(join('workflows', file));
  if (!path) throw new Error(`cannot find workflows/${file} above the flakeflow module`);
  return parseDocument(readFileSync(path, 'utf8'));
}

function mapAt(doc: Document | YAMLMap, path: readonly string[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (!isMap(node)) throw new Error(`workflows template: ${path.join('.')} is not a map`);
  return node;
}

/** The job that calls our reusable `workflow`, whatever the template names it. */
function callingJob(doc: Document, workflow: string): YAMLMap {
  const jobs = mapAt(doc, ['jobs']);
  for (const pair of jobs.items) {
    if (
      isMap(pair.value) &&
      String(pair.value.get('uses') ?? '').includes(`/.github/workflows/${workflow}@`)
    ) {
      return pair.value;
    }
  }
  throw new Error(`workflows template: no job calls ${workflow}`);
}

function blockLiteral(text: string): Scalar {
  const node = new Scalar(text.endsWith('\n') ? text : `${text}\n`);
  node.type = 'BLOCK_LITERAL';
  return node;
}

/**
 * Comment lines as the yaml library stores them: each line after its `#`, a lone `#` as one space
 * (an empty string would be a blank line, ending the comment block).
 */
function commentLines(lines: readonly string[]): string {
  return lines.map((line) => ` ${line}`).join('\n');
}

const PARAGRAPH_BREAK = '\n \n';

/** Adds comment lines before the entry `key` of `map`, above any comment it has. */
function commentBefore(map: YAMLMap, key: string, lines: readonly string[]): void {
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  if (!pair || !isScalar(pair.key)) return;
  pair.key.commentBefore = [commentLines(lines), pair.key.commentBefore].filter(Boolean).join('\n');
}

/** The template's header without its "Copy to .github/workflows/…" instruction, which init has done. */
function header(doc: Document, intro: string, keepParagraphs = Number.POSITIVE_INFINITY): void {
  const first = (doc.contents as YAMLMap).items[0];
  if (!first || !isScalar(first.key)) return;
  const paragraphs = (first.key.commentBefore ?? '').split(PARAGRAPH_BREAK).slice(0, keepParagraphs);
  const cleaned = paragraphs.map((paragraph) =>
    paragraph
      .replace(/^ Copy to \.github\/workflows\/[\w.-]+\.yml\.\s*(Then, )?/, ' ')
      .replace(/^ (\w)/, (_, letter: string) => ` ${letter.toUpperCase()}`),
  );
  first.key.commentBefore = [commentLines([intro]), ...cleaned].join(PARAGRAPH_BREAK);
}

/** Words wrapped to comment lines of at most `width` characters. */
function render(doc: Document): string {
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `runners:` for the systems the fleet has, each with the hosts it builds. */
export function runnersFor(facts: FleetFacts): string {
  const bySystem = new Map<string, string[]>();
  for (const host of facts.hosts) {
    if (!host.system) continue;
    bySystem.set(host.system, [...(bySystem.get(host.system) ?? []), host.name]);
  }
  const lines = [...bySystem].map(([system, hosts]) => {
    const runner = HOSTED_RUNNERS[system];
    return runner
      ? `${system}: ${runner} # ${hosts.join(', ')}`
      : `# ${system}: [self-hosted, …] # no GitHub-hosted runner: ${hosts.join(', ')} are evaluated only`;
  });
  const unknown = facts.hosts.filter((host) => !host.system).map((host) => host.name);
  if (unknown.length > 0) lines.push(`# ${unknown.join(', ')}: the system did not evaluate`);
  return lines.length > 0 ? lines.join('\n') : '# the flake has no hosts yet';
}

function prChecks(facts: FleetFacts, options: CallerOptions, intro: string): string {
  const doc = readTemplate('pr-checks.yml');
  header(doc, intro);
  privateInputsNote(doc, 'flake-checks.yml', facts);
  const push = doc.getIn(['on', 'push'], true);
  if (isMap(push) && push.has('branches')) {
    const branches = doc.createNode([options.defaultBranch]);
    branches.flow = true;
    push.set('branches', branches);
  }
  const inputs = mapAt(callingJob(doc, 'flake-checks.yml'), ['with']);
  inputs.set('runners', blockLiteral(runnersFor(facts)));
  const caches = workflowCacheInputs(facts.caches);
  if (caches.cacheUrls.length > 0) {
    inputs.set('cache-urls', caches.cacheUrls.join(' '));
    if (caches.cachePublicKeys.length > 0) inputs.set('cache-public-keys', caches.cachePublicKeys.join(' '));
    commentBefore(inputs, 'cache-urls', ["From the flake's nixConfig: hosts already there are not rebuilt."]);
  }
  if (caches.cachixCache) {
    inputs.set('cachix-cache', caches.cachixCache);
    commentBefore(inputs, 'cachix-cache', [
      "From the flake's nixConfig. Builds push to it with the `cachix-auth-token` secret (below).",
    ]);
  }
  if (facts.formatterSystems.length === 0) {
    commentBefore(inputs, 'runners', [
      'The flake has no `formatter` output: the format check uses treefmt, alejandra or nixfmt, whichever',
      'it finds. Add `formatter.<system>` (e.g. treefmt-nix) so CI and `nix fmt` agree.',
    ]);
  }
  return render(doc);
}

const NIXPKGS_INPUT = /^nixpkgs(?:$|[-_])/;

function lockUpdate(facts: FleetFacts, intro: string): string {
  const doc = readTemplate('lock-update.yml');
  header(doc, intro);
  privateInputsNote(doc, 'lock-update.yml', facts);
  const inputs = mapAt(callingJob(doc, 'lock-update.yml'), ['with']);
  const nixpkgs = facts.inputs.filter((input) => NIXPKGS_INPUT.test(input));
  const others = facts.inputs.filter((input) => !NIXPKGS_INPUT.test(input));
  if (nixpkgs.length > 0 && others.length > 0) {
    inputs.set('groups', blockLiteral(`nixpkgs: [nixpkgs, nixpkgs-*]\nothers: ['*'] # ${others.join(', ')}`));
    return render(doc);
  }
  // The comment above the first entry of a map is the map's own: it explained `groups`.
  if (isScalar(inputs.items[0]?.key) && inputs.items[0].key.value === 'groups') inputs.commentBefore = null;
  inputs.delete('groups');
  const next = inputs.items[0];
  if (next && isScalar(next.key)) {
    commentBefore(inputs, String(next.key.value), [
      facts.inputs.length > 0
        ? `One pull request updates every input (${facts.inputs.join(', ')}). To update nixpkgs apart from the`
        : 'The flake locks no inputs yet. To update nixpkgs apart from the others once it has some, add e.g.',
      ...(facts.inputs.length > 0 ? ['rest, add e.g.'] : []),
      '  groups: |',
      '    nixpkgs: [nixpkgs, nixpkgs-*]',
      "    others: ['*']",
    ]);
  }
  return render(doc);
}

/** A Nix attribute name, quoted when it is not a plain identifier. */
function nixAttrName(name: string): string {
  return /^[A-Za-z_][\w'-]*$/.test(name) ? name : JSON.stringify(name);
}

/** `all`, then `@tag` for each tag, then each node: the choices of the deploy's `targets`. */
export function targetChoices(facts: FleetFacts): string[] {
  const nodes = facts.deployNodes ?? [];
  const tags = [...new Set(nodes.flatMap((node) => node.tags))];
  return ['all', ...tags.map((tag) => `@${tag}`), ...nodes.map((node) => node.name)];
}

function deploy(facts: FleetFacts, intro: string): string {
  const doc = readTemplate('deploy.yml');
  header(doc, intro);
  privateInputsNote(doc, 'deploy.yml', facts);
  const targets = doc.getIn(['on', 'workflow_dispatch', 'inputs', 'targets'], true);
  const dispatch = mapAt(doc, ['on', 'workflow_dispatch', 'inputs']);
  if (!facts.deployNodes || facts.deployNodes.length === 0) {
    const example = facts.hosts.find((host) => host.kind === 'nixos')?.name ?? 'homeserver';
    commentBefore(dispatch, 'targets', [
      "The flake has no deploy.nodes yet: flakeflow's switch engine deploys its nixosConfigurations hosts",
      '(engine: auto), each reached over SSH at its name. For addresses, tags and waves, add the output',
      `  flakeflow.nodes = { ${nixAttrName(example)} = { address = "10.0.0.2"; tags = [ "canary" ]; wave = 1; }; };`,
      "(the same map as the deploy action's `nodes` input), or define deploy.nodes for deploy-rs.",
    ]);
    return render(doc);
  }
  if (isMap(targets)) {
    targets.set('description', 'Nodes to deploy: all, a @tag, or one node');
    targets.set('type', 'choice');
    const options = doc.createNode(targetChoices(facts));
    options.flow = true;
    targets.set('options', options);
    targets.set('default', 'all');
  }
  return render(doc);
}

/** Reads the nodes deploy.yml deploys; without deploy.nodes, says where the switch engine finds them. */
function fleetStatus(facts: FleetFacts, intro: string): string {
  const doc = readTemplate('fleet-status.yml');
  header(doc, intro);
  privateInputsNote(doc, 'fleet-status.yml', facts);
  if (!facts.deployNodes || facts.deployNodes.length === 0) {
    const job = callingJob(doc, 'fleet-status.yml');
    commentBefore(mapAt(job, ['with']), 'runner-labels', [
      "The flake has no deploy.nodes: the nodes are those of deploy.yml's switch engine, the flake's",
      '`flakeflow.nodes` or else every nixosConfigurations host reached at its name.',
    ]);
  }
  return render(doc);
}

/** A repository entry of `.github/backups.yml` for the jobs that write to one repository. */
function repositoryEntry(name: string, repository: string, jobs: readonly InspectedBackup[]): string[] {
  const maxAge = Math.max(...jobs.map((job) => maxAgeForSchedule(job.onCalendar) ?? 26 * 3_600_000));
  const groups = jobs.map((job) =>
    job.tags.length > 0
      ? `{host: ${job.hostName}, tags: [${job.tags.join(', ')}]}`
      : `{host: ${job.hostName}}`,
  );
  const policy = jobs.find((job) => job.policy)?.policy;
  return [
    `  - name: ${name}`,
    `    repository: ${repository}`,
    `    password-env: ${passwordVariable(name)}`,
    `    max-age: ${Math.round(maxAge / 3_600_000)}h`,
    `    groups: [${groups.join(', ')}]`,
    ...(policy
      ? [
          `    policy: {${Object.entries(policy)
            .map(([keep, count]) => `${keep}: ${count}`)
            .join(', ')}}`,
        ]
      : []),
  ];
}

export function passwordVariable(name: string): string {
  return `RESTIC_PASSWORD_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/** One entry per repository the fleet's backup jobs write to, named after the service where it is one. */
export function backupSkeleton(backups: readonly InspectedBackup[]): { lines: string[]; names: string[] } {
  const byRepository = new Map<string, InspectedBackup[]>();
  for (const backup of backups) {
    const key = backup.repository ?? `REPLACE-with-the-repository-of-${backup.hostName}-${backup.service}`;
    byRepository.set(key, [...(byRepository.get(key) ?? []), backup]);
  }
  const names: string[] = [];
  const lines: string[] = [];
  for (const [repository, jobs] of byRepository) {
    const first = jobs[0] as InspectedBackup;
    const base = (jobs.length === 1 ? first.service : first.hostName).replace(/[^A-Za-z0-9._-]+/g, '-');
    let name = base;
    if (names.includes(name)) name = `${first.hostName}-${base}`;
    for (let suffix = 2; names.includes(name); suffix += 1) name = `${base}-${suffix}`;
    names.push(name);
    lines.push(...repositoryEntry(name, repository, jobs));
  }
  return { lines, names };
}

function backupVerify(facts: FleetFacts, intro: string): string {
  const doc = readTemplate('backup-verify.yml');
  header(doc, intro, 1);
  privateInputsNote(doc, 'backup-verify.yml', facts);
  const first = (doc.contents as YAMLMap).items[0];
  if (!first || !isScalar(first.key)) return render(doc);
  const services = facts.backups.map((backup) => `${backup.hostName}/${backup.service}`);
  const described =
    facts.backups.length > 0
      ? (() => {
          const { lines, names } = backupSkeleton(facts.backups);
          return [
            ...wrapWords(
              `Describe the repositories in .github/backups.yml. The flake backs up ${plural(services.length, 'service')} ` +
                `(${services.join(', ')}) to these; give each the location this runner reaches it at (a path ` +
                'on the host itself means nothing here: sftp:, s3:, rest: or b2:) and how it is unlocked:',
              100,
            ),
            ...lines,
            'and put the passwords, one NAME=value per line, in the repository secret RESTIC_ENV:',
            ...names.map((name) => `  ${passwordVariable(name)}=…`),
          ];
        })()
      : [
          'The flake configures no services.restic.backups on its NixOS hosts. Describe the repositories to',
          'verify in .github/backups.yml, e.g.',
          '  - name: nas',
          '    repository: sftp:backup@nas.lan:/srv/restic',
          '    password-env: RESTIC_PASSWORD_NAS',
          '    max-age: 26h',
          'and put the passwords, one NAME=value per line, in the repository secret RESTIC_ENV.',
        ];
  first.key.commentBefore = [first.key.commentBefore, commentLines(described)].join(PARAGRAPH_BREAK);
  return render(doc);
}

/** Secret names the callers' commented lines use for the Nix access. */
const ACCESS_SECRETS = {
  'inputs-ssh-key': 'NIX_INPUTS_SSH_KEY',
  'nix-access-tokens': 'NIX_ACCESS_TOKENS',
} as const;

/**
 * Above the calling job's `with:`: which inputs look private and which commented line to turn on,
 * with the repository secret to create. Nothing when no input looks private.
 */
function privateInputsNote(doc: Document, workflow: string, facts: FleetFacts): void {
  if (facts.privateInputs.length === 0) return;
  const needs = [...new Set(facts.privateInputs.map((input) => input.needs))];
  const lines = [
    ...wrapWords(
      `The flake's inputs ${facts.privateInputs.map((input) => `${input.name} (${input.url}: ${input.why})`).join(', ')} ` +
        `look private. Uncomment ${needs.map((need) => `\`${need}\``).join(' and ')} under \`secrets:\` and create the ` +
        `repository secret${needs.length > 1 ? 's' : ''} ${needs.map((need) => ACCESS_SECRETS[need]).join(' and ')}` +
        `${needs.includes('inputs-ssh-key') ? ' (a deploy key of those repositories)' : ''}` +
        `${needs.includes('nix-access-tokens') ? ' (lines host=token)' : ''}.`,
      100,
    ),
  ];
  commentBefore(callingJob(doc, workflow), 'with', lines);
}

/** The five callers' text, by file name. */
export function generateCallers(facts: FleetFacts, options: CallerOptions): Record<CallerFile, string> {
  const systems = new Set(facts.hosts.map((host) => host.system).filter(Boolean));
  const intro =
    `Written by \`flakeflow init\` for a fleet of ${plural(facts.hosts.length, 'host')} on ${plural(systems.size, 'system')}` +
    `${facts.deployNodes ? ` and ${plural(facts.deployNodes.length, 'deploy node')}` : ''}; edit it freely.`;
  return {
    'pr-checks.yml': prChecks(facts, options, intro),
    'lock-update.yml': lockUpdate(facts, intro),
    'deploy.yml': deploy(facts, intro),
    'backup-verify.yml': backupVerify(facts, intro),
    'fleet-status.yml': fleetStatus(facts, intro),
  };
}

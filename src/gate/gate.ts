import { access, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { Slots } from '../core/concurrency.js';
import { UserError } from '../core/errors.js';
import type { GitHubClient } from '../core/github.js';
import type { SettingsOf } from '../core/inputs.js';
import type { Logger } from '../core/logger.js';
import type { ProcessRunner } from '../core/process.js';
import { accessGiven } from '../nix/access-inputs.js';
import { NixCli } from '../nix/cli.js';
import { baseNixpkgsFlake } from './base-tools.js';
import {
  type CheckFailure,
  compareFindings,
  countBySeverity,
  describeCounts,
  type FailLevel,
  type Finding,
  failsAt,
  type GateCheck,
  type SeverityCounts,
} from './findings.js';
import { CheckoutGit } from './git.js';
import { normalizePath, PathGlobs } from './globs.js';
import type { gateInputs } from './inputs.js';
import { locateFindings } from './positions.js';
import { publishResult } from './publish.js';
import { writeReport } from './report.js';
import type { FoldedSyntaxErrors, GateResult, GateRunContext, SyntaxReport } from './result.js';
import { eventBaseSha, type FileScope, PULL_REQUEST_EVENTS, resolveScope, walkFiles } from './scope.js';
import { type CheckContext, type CheckOutcome, settleCheck } from './tool-run.js';
import { ToolSource, ToolUnavailable } from './tool-source.js';
import { runAlejandra } from './tools/alejandra.js';
import { checkDeadnixArgs, runDeadnix } from './tools/deadnix.js';
import { runFlakeCheck } from './tools/flake-check.js';
import { flakeFormatter, runNixFmt } from './tools/nix-fmt.js';
import { runNixfmt } from './tools/nixfmt.js';
import { runStatix } from './tools/statix.js';
import { runTreefmt } from './tools/treefmt.js';

export type GateSettings = SettingsOf<typeof gateInputs>;
export type { CheckSummary, GateResult, GateRunContext } from './result.js';

export interface GateDependencies {
  runner: ProcessRunner;
  logger: Logger;
  /** Variables the tools run with; PATH decides which tools are found. */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Needed only when `check-run` or `suggestions` is on. */
  github?: GitHubClient;
}

const CHECK_ORDER: readonly GateCheck[] = ['format', 'deadnix', 'statix', 'flake-check'];
const TREEFMT_CONFIGS = ['treefmt.toml', '.treefmt.toml'];

/** Runs the selected checks concurrently over the selected files and decides the verdict. */
export async function runGate(
  settings: GateSettings,
  context: GateRunContext,
  dependencies: GateDependencies,
): Promise<GateResult> {
  const { runner, logger, signal } = dependencies;
  checkDeadnixArgs(settings['deadnix-args'] ?? []);
  const flakeDir = await flakeDirectory(context.workspace, settings.path);
  const git = new CheckoutGit(runner, flakeDir, signal);
  const repoRoot = await git.topLevel().then((root) => (root ? realpath(root) : undefined));
  // Annotation paths start at the repository root, or at the workspace outside git.
  const candidateRoot = repoRoot ?? (await realpath(context.workspace).catch(() => context.workspace));
  const root = relative(candidateRoot, flakeDir).startsWith('..') ? flakeDir : candidateRoot;
  const prefix = pathPrefix(root, flakeDir);
  const exclude = new PathGlobs(settings.exclude ?? []);
  const scope = await resolveScope(
    {
      setting: settings.files,
      ...(settings['base-ref'] ? { baseRef: settings['base-ref'] } : {}),
      eventName: context.eventName,
      event: context.event,
      flakeDir,
      ...(repoRoot ? { repoRoot } : {}),
      exclude,
    },
    git,
    logger,
  );
  logger.info(describeScope(scope, prefix));

  const selected = CHECK_ORDER.filter((check) => settings.checks.includes(check));
  const checkContext: CheckContext = {
    flakeDir,
    scope,
    exclude,
    runner,
    env: dependencies.env,
    ...(signal ? { signal } : {}),
    tools: new ToolSource(settings.tools, flakeDir, dependencies.env.PATH ?? '', () =>
      nixpkgsForTools(context, git, repoRoot, flakeDir),
    ),
    nix: new NixCli(runner),
    access: accessGiven(settings),
    listTree: async () => (repoRoot ? await git.listFiles() : undefined) ?? (await walkFiles(flakeDir)),
    ...toolProcesses(selected.length),
    tempDir: context.runnerTemp,
  };
  const outcomes = await Promise.all(
    selected.map((check) => runCheck(check, settings, checkContext, repoRoot)),
  );

  const inScope = new Set(scope.files);
  const kept = outcomes.flatMap((outcome) =>
    outcome.findings.filter((finding) => {
      if (exclude.matches(finding.path)) return false;
      // Rewriting formatters may report other files they format (Markdown, YAML); linters only .nix.
      if (finding.check === 'flake-check' || (finding.check === 'format' && !finding.path.endsWith('.nix')))
        return true;
      return inScope.has(finding.path) || (scope.mode === 'all' && finding.check === 'format');
    }),
  );
  const located = await locateFindings(kept, flakeDir, prefix);
  const { findings: reported, folded } = oneSyntaxErrorPerFile(located);
  const findings = reported.sort(compareFindings);
  for (const outcome of outcomes) {
    const ofCheck = (list: readonly { check: GateCheck }[]) =>
      list.filter((finding) => finding.check === outcome.check).length;
    await logOutcome(logger, outcome, {
      reported: countBySeverity(findings.filter((finding) => finding.check === outcome.check)),
      folded: ofCheck(located) - ofCheck(findings),
      leftOut: outcome.findings.length - ofCheck(kept),
    });
  }
  const failures: CheckFailure[] = outcomes.flatMap((outcome) =>
    outcome.failures.map((reason) => ({ check: outcome.check, tool: outcome.tool, reason })),
  );
  const unformatted = [
    ...new Set(outcomes.flatMap((outcome) => outcome.unformatted.filter((path) => !exclude.matches(path)))),
  ]
    .map((path) => normalizePath(prefix ? `${prefix}/${path}` : path))
    .sort();
  const checks = outcomes.map((outcome) => ({
    check: outcome.check,
    tool: outcome.tool,
    counts: countBySeverity(findings.filter((finding) => finding.check === outcome.check)),
    failures: outcome.failures,
    ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
    durationMs: outcome.durationMs,
  }));

  const failing = findings.filter((finding) => failsAt(finding.severity, settings['fail-on']));
  const passed = failures.length === 0 && failing.length === 0;
  const result: GateResult = {
    passed,
    failOn: settings['fail-on'],
    findings,
    failures,
    folded,
    unformatted,
    checks,
    scope,
    prefix,
    reportPath: '',
    ...(passed ? {} : { failure: failureLine(failures, failing, settings['fail-on']) }),
    publication: { warnings: [] },
  };
  result.reportPath = await writeReport(result, context);
  result.publication = await publishResult(result, context, {
    checkRun: settings['check-run'],
    suggestions: settings.suggestions,
    client: dependencies.github,
    git,
    repoRoot: root,
    logger,
  });
  return result;
}

/**
 * The checks run side by side, each tool as a person would start it, and never more processes than
 * the runner has cores beyond that: a check spreads its files over its share of the cores only, and
 * statix's per-file runs wait for a free one.
 */
function toolProcesses(checks: number): Pick<CheckContext, 'slots' | 'processesPerCheck'> {
  const cores = Math.max(1, availableParallelism());
  return {
    slots: new Slots(Math.max(cores, checks)),
    processesPerCheck: Math.max(1, Math.floor(cores / Math.max(1, checks))),
  };
}

/**
 * A file that does not parse makes every tool complain; one annotation says it, preferring the
 * report that pins a line and column. The others are kept aside for the summary.
 */
function oneSyntaxErrorPerFile(findings: readonly Finding[]): {
  findings: Finding[];
  folded: FoldedSyntaxErrors[];
} {
  // statix names the very token; deadnix and alejandra give a byte range or "end of file", resolved
  // to the file's end (statix's own end-of-file errors, always at 1:1, are placed there too).
  const precision = (finding: Finding) =>
    (finding.line === undefined ? 0 : 2) +
    (finding.column === undefined ? 0 : 2) +
    (finding.check === 'statix' ? 1 : 0);
  const syntax = (finding: Finding) => finding.rule === 'syntax' || finding.rule.endsWith('syntax_error');
  const best = new Map<string, Finding>();
  for (const finding of findings.filter(syntax)) {
    const current = best.get(finding.file);
    if (!current || precision(finding) > precision(current)) best.set(finding.file, finding);
  }
  const report = ({ tool, line, column }: Finding): SyntaxReport => ({
    tool,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  });
  const folded = new Map<string, FoldedSyntaxErrors>();
  for (const finding of [...findings].sort(compareFindings)) {
    const kept = best.get(finding.file);
    if (!syntax(finding) || !kept || kept === finding) continue;
    const entry = folded.get(finding.file) ?? { file: finding.file, kept: report(kept), folded: [] };
    entry.folded.push(report(finding));
    folded.set(finding.file, entry);
  }
  return {
    findings: findings.filter((finding) => !syntax(finding) || best.get(finding.file) === finding),
    folded: [...folded.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
  };
}

/**
 * On a pull request, the base revision's nixpkgs (a pull request does not choose the programs that
 * judge it); otherwise the checked-out flake's own.
 */
async function nixpkgsForTools(
  context: GateRunContext,
  git: CheckoutGit,
  repoRoot: string | undefined,
  flakeDir: string,
): Promise<string | undefined> {
  const baseSha = PULL_REQUEST_EVENTS.has(context.eventName) ? eventBaseSha(context.event) : undefined;
  if (!baseSha || !repoRoot) return flakeDir;
  const lockPath = relative(repoRoot, join(flakeDir, 'flake.lock')).split(sep).join('/');
  return baseNixpkgsFlake(git, { sha: baseSha, lockPath, tempDir: context.runnerTemp });
}

async function flakeDirectory(workspace: string, path: string): Promise<string> {
  const dir = resolve(workspace, path);
  try {
    if ((await stat(dir)).isDirectory()) return await realpath(dir);
  } catch {
    // Reported below.
  }
  throw new UserError(
    `Input 'path' must be a directory in the checkout, got '${path}' (${dir} does not exist)`,
  );
}

function pathPrefix(root: string, flakeDir: string): string {
  return relative(root, flakeDir).split(sep).join('/');
}

function describeScope(scope: FileScope, prefix: string): string {
  const where = prefix ? ` in ${prefix}/` : '';
  const excluded = scope.excluded > 0 ? `, ${scope.excluded} excluded` : '';
  if (scope.mode === 'all') return `Checking all ${scope.files.length} .nix files${where}${excluded}`;
  return (
    `Checking ${scope.files.length} .nix files${where} changed against ${scope.base?.commit.slice(0, 12)} ` +
    `(${scope.base?.from})${excluded}`
  );
}

function runCheck(
  check: GateCheck,
  settings: GateSettings,
  context: CheckContext,
  repoRoot: string | undefined,
): Promise<CheckOutcome> {
  switch (check) {
    case 'format':
      return runFormatCheck(settings, context);
    case 'deadnix':
      return runDeadnix(context, settings['deadnix-args'] ?? []);
    case 'statix':
      return runStatix(context, settings['statix-config'] || undefined);
    case 'flake-check':
      return runFlakeCheck(context, repoRoot);
  }
}

/**
 * `auto` picks the flake's own `formatter` output (`nix fmt`), then treefmt when the tree has a
 * treefmt.toml and treefmt is installed, then alejandra when installed, else nixfmt.
 */
async function runFormatCheck(settings: GateSettings, context: CheckContext): Promise<CheckOutcome> {
  switch (settings.formatter) {
    case 'none':
      return settleCheck('format', 'none', async () => ({
        tool: 'none',
        findings: [],
        failures: [],
        unformatted: [],
        skipped: 'formatter: none',
      }));
    case 'nix-fmt':
      return runNixFmt(context);
    case 'treefmt':
      return runTreefmt(context);
    case 'alejandra':
      return runAlejandra(context);
    case 'nixfmt':
      return runNixfmt(context);
    case 'auto':
      break;
  }
  if (await exists(join(context.flakeDir, 'flake.nix'))) {
    try {
      // Without Nix, `auto` goes on to the formatters on PATH.
      const formatter = await flakeFormatter(context, { withoutNix: 'none' });
      if (formatter) return runNixFmt(context, formatter);
    } catch (error) {
      if (!(error instanceof ToolUnavailable)) throw error;
      return settleCheck('format', 'nix fmt', () => Promise.reject(error));
    }
  }
  const installed = (tool: 'treefmt' | 'alejandra') =>
    context.tools.setting === 'nix' ? Promise.resolve(undefined) : context.tools.onPath(tool);
  const treefmtConfig = await Promise.all(
    TREEFMT_CONFIGS.map((name) => exists(join(context.flakeDir, name))),
  );
  if (treefmtConfig.some(Boolean) && (await installed('treefmt'))) return runTreefmt(context);
  if (await installed('alejandra')) return runAlejandra(context);
  return runNixfmt(context);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** How a check's findings became the summary's: counted after excluding and folding, as the table counts. */
interface OutcomeTally {
  reported: SeverityCounts;
  /** Syntax errors dropped because another report of the same file's syntax error was kept. */
  folded: number;
  /** Findings in files outside the checked scope or excluded. */
  leftOut: number;
}

async function logOutcome(logger: Logger, outcome: CheckOutcome, tally: OutcomeTally): Promise<void> {
  const notes = [
    ...(tally.folded > 0
      ? [`${tally.folded} syntax error${tally.folded === 1 ? '' : 's'} folded into one per file`]
      : []),
    ...(tally.leftOut > 0 ? [`${tally.leftOut} outside the checked files left out`] : []),
  ];
  const counts = `${describeCounts(tally.reported)}${notes.length > 0 ? `; ${notes.join(', ')}` : ''}`;
  const verdict =
    outcome.failures.length > 0
      ? 'did not run properly'
      : outcome.skipped
        ? `skipped (${outcome.skipped})`
        : counts;
  const seconds = (outcome.durationMs / 1000).toFixed(1);
  await logger.group(`${outcome.check} · ${outcome.tool}: ${verdict} (${seconds}s)`, async () => {
    // Tool output is the checkout's text: a line that looks like a workflow command must stay text.
    for (const line of outcome.transcript) logger.info(line.startsWith('::') ? ` ${line}` : line);
  });
}

function failureLine(
  failures: readonly CheckFailure[],
  failing: readonly Finding[],
  failOn: FailLevel,
): string {
  const parts: string[] = [];
  if (failures.length > 0) parts.push(failures.map((failure) => failure.reason).join('; '));
  if (failing.length > 0) {
    const files = new Set(failing.map((finding) => finding.file)).size;
    parts.push(
      `${describeCounts(countBySeverity(failing))} in ${files} file${files === 1 ? '' : 's'} (fail-on: ${failOn})`,
    );
  }
  return `flakeflow gate failed: ${parts.join('; ')}`;
}

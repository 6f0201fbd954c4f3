import { UserError } from '../../core/errors.js';
import { NIX_NOT_FOUND, NixError } from '../../nix/errors.js';
import { unformattedFinding } from '../format-diff.js';
import {
  type CheckContext,
  type CheckOutcome,
  firstLine,
  runOverFiles,
  runTool,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { ToolUnavailable } from '../tool-source.js';
import { alejandraSyntaxFinding, parseAlejandra } from './alejandra.js';
import { nixfmtCheckArgs, nixfmtSyntaxFinding, parseNixfmt } from './nixfmt.js';
import { rewriteAndRestore } from './treefmt.js';

/** What the flake's `formatter.<system>` is, which decides how `nix fmt` can check without writing. */
export type FlakeFormatterKind = 'alejandra' | 'nixfmt' | 'treefmt' | 'other';

export interface FlakeFormatter {
  name: string;
  mainProgram: string;
  kind: FlakeFormatterKind;
}

const DESCRIBE_FORMATTER =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Nix expression, interpolated by Nix
  'f: let d = f.${builtins.currentSystem} or null; in ' +
  'if d == null then null else { name = d.name or ""; mainProgram = d.meta.mainProgram or ""; }';

/** The flake's formatter for this machine's system, or undefined when it declares none. */
export async function flakeFormatter(
  context: CheckContext,
  options: { withoutNix?: 'none' } = {},
): Promise<FlakeFormatter | undefined> {
  let described: { name: string; mainProgram: string } | null;
  try {
    described = await context.nix.evalJson<{ name: string; mainProgram: string } | null>(
      `${context.flakeDir}#formatter`,
      {
        apply: DESCRIBE_FORMATTER,
        impure: true,
        cwd: context.flakeDir,
        env: context.env,
        ...(context.signal ? { signal: context.signal } : {}),
      },
    );
  } catch (error) {
    if (error instanceof NixError && /does not provide attribute/.test(error.nixMessage)) return undefined;
    // Without Nix there is no `nix fmt` to use: `auto` goes on to the formatters on PATH.
    const nixMissing =
      !(error instanceof NixError) && error instanceof UserError && error.message === NIX_NOT_FOUND;
    if (nixMissing && options.withoutNix === 'none') return undefined;
    if (error instanceof UserError) {
      const reason = error instanceof NixError ? error.nixMessage : error.message;
      throw new ToolUnavailable(`nix fmt: the flake's formatter does not evaluate: ${firstLine(reason)}`);
    }
    throw error;
  }
  if (!described) return undefined;
  const text = `${described.mainProgram} ${described.name}`;
  const kind: FlakeFormatterKind = /treefmt/i.test(text)
    ? 'treefmt'
    : /alejandra/i.test(text)
      ? 'alejandra'
      : /nixfmt/i.test(text)
        ? 'nixfmt'
        : 'other';
  return { ...described, kind };
}

const NIX_FMT = ['fmt', '--extra-experimental-features', 'nix-command flakes'];

/**
 * `nix fmt` runs the flake's own formatter. Since Nix 2.25 it passes no path by default, so paths are
 * always given. alejandra and nixfmt wrappers check with `--check`; treefmt wrappers and unknown
 * formatters can only rewrite, so they run on a snapshot of the tree that is put back afterwards.
 */
export function runNixFmt(context: CheckContext, known?: FlakeFormatter): Promise<CheckOutcome> {
  return settleCheck('format', 'nix fmt', async (transcript) => {
    const formatter = known ?? (await flakeFormatter(context));
    if (!formatter) {
      throw new ToolUnavailable(
        'nix fmt: the flake has no formatter output for this system (formatter: nix-fmt)',
      );
    }
    const tool = `nix fmt (${formatter.mainProgram || formatter.name})`;
    const nix = { tool: 'nix' as const, program: 'nix', prefix: NIX_FMT, via: 'nix' as const };
    if (
      context.scope.files.length === 0 &&
      (context.scope.mode === 'changed' || formatter.kind !== 'treefmt')
    ) {
      return { tool, findings: [], failures: [], unformatted: [], skipped: 'no .nix files to check' };
    }
    if (formatter.kind === 'treefmt' || formatter.kind === 'other') {
      const extra = formatter.kind === 'treefmt' ? ['--ci'] : [];
      return rewriteAndRestore(context, tool, (paths) =>
        runTool(context, transcript, nix, ['--', ...extra, ...(paths.length > 0 ? paths : ['.'])]),
      );
    }
    const gathered = await runOverFiles(
      context,
      transcript,
      nix,
      (files) => ['--', ...nixfmtCheckArgs(files)],
      (result) => {
        const report = readNixFmtCheck(formatter.kind as 'alejandra' | 'nixfmt', tool, result);
        const complained = report.unformatted.length + report.findings.length > 0;
        return result.exitCode !== 0 && !complained
          ? { ...report, failure: toolFailure('nix fmt', result) }
          : report;
      },
    );
    const unformattedFindings = gathered.unformatted.map((path) => unformattedFinding(tool, path, undefined));
    return {
      tool,
      findings: [...unformattedFindings, ...gathered.findings],
      failures: gathered.failures,
      unformatted: gathered.unformatted,
    };
  });
}

/** What `nix fmt -- --check <files>` printed, read as the alejandra or nixfmt it runs prints it. */
export function readNixFmtCheck(
  kind: 'alejandra' | 'nixfmt',
  tool: string,
  output: { stdout: string; stderr: string },
): { findings: ToolFinding[]; unformatted: string[] } {
  if (kind === 'alejandra') {
    const report = parseAlejandra(output.stdout, output.stderr);
    return {
      findings: report.errors.map((error) => alejandraSyntaxFinding(error, tool)),
      unformatted: report.unformatted,
    };
  }
  const report = parseNixfmt(output.stderr);
  return {
    findings: report.errors.map((error) => nixfmtSyntaxFinding(error, tool)),
    unformatted: report.unformatted,
  };
}

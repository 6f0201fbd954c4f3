import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { NixCli } from '../../nix/cli.js';
import { NIX_NOT_FOUND, NixError } from '../../nix/errors.js';
import { unformattedFinding } from '../format-diff.js';
import {
  type CheckContext,
  type CheckOutcome,
  firstLine,
  parseErrorOffset,
  runOverFiles,
  runTool,
  settleCheck,
  type ToolFinding,
  toolFailure,
} from '../tool-run.js';
import { type ToolCommand, ToolUnavailable } from '../tool-source.js';
import { type AlejandraReport, parseAlejandra } from './alejandra.js';
import { type NixfmtReport, nixfmtCheckArgs, parseNixfmt } from './nixfmt.js';
import { rewriteAndRestore } from './treefmt.js';

/** What the flake's `formatter.<system>` is, which decides how `nix fmt` can check without writing. */
export type FlakeFormatterKind = 'alejandra' | 'nixfmt' | 'treefmt' | 'other';

export interface FlakeFormatter {
  name: string;
  mainProgram: string;
  /** The program `nix fmt` runs: meta.mainProgram, else pname, else the name without its version. */
  program: string;
  /** `<flake>#formatter.<system>`, the installable that builds it. */
  installable: string;
  kind: FlakeFormatterKind;
}

const DESCRIBE_FORMATTER =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Nix expression, interpolated by Nix
  'f: let s = builtins.currentSystem; d = f.${s} or null; in ' +
  'if d == null then null else { system = s; name = d.name or ""; mainProgram = d.meta.mainProgram or ""; ' +
  'program = d.meta.mainProgram or d.pname or (builtins.parseDrvName (d.name or "")).name; }';

interface DescribedFormatter {
  system: string;
  name: string;
  mainProgram: string;
  program: string;
}

/** The flake's formatter for this machine's system, or undefined when it declares none. */
export async function flakeFormatter(
  context: CheckContext,
  options: { withoutNix?: 'none' } = {},
): Promise<FlakeFormatter | undefined> {
  let described: DescribedFormatter | null;
  try {
    described = await context.nix.evalJson<DescribedFormatter | null>(`${context.flakeDir}#formatter`, {
      apply: DESCRIBE_FORMATTER,
      impure: true,
      cwd: context.flakeDir,
      env: context.env,
      ...(context.signal ? { signal: context.signal } : {}),
    });
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
  const { system, ...formatter } = described;
  return { ...formatter, installable: `${context.flakeDir}#formatter.${system}`, kind };
}

/**
 * The formatter as `nix fmt` would run it, built by Nix (which may fetch the flake's private inputs:
 * role `nix`) and then started as a program of its own: `nix fmt` would start it as Nix's child,
 * handing it Nix's environment and with it the inputs' key and tokens (child-environment.ts).
 */
async function formatterCommand(context: CheckContext, formatter: FlakeFormatter): Promise<ToolCommand> {
  let built: Awaited<ReturnType<NixCli['build']>>;
  try {
    built = await context.nix.build([formatter.installable], {
      cwd: context.flakeDir,
      ...(context.signal ? { signal: context.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const reason = error instanceof NixError ? error.nixMessage : error.message;
    throw new ToolUnavailable(`nix fmt: the flake's formatter does not build: ${firstLine(reason)}`);
  }
  const out = built[0]?.outputs.out;
  if (!out) throw new ToolUnavailable(`nix fmt: building ${formatter.installable} gave no out path`);
  return { tool: 'nix', program: join(out, 'bin', formatter.program), prefix: [], via: 'nix' };
}

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
    if (
      context.scope.files.length === 0 &&
      (context.scope.mode === 'changed' || formatter.kind !== 'treefmt')
    ) {
      return { tool, findings: [], failures: [], unformatted: [], skipped: 'no .nix files to check' };
    }
    const command = await formatterCommand(context, formatter);
    if (formatter.kind === 'treefmt' || formatter.kind === 'other') {
      const extra = formatter.kind === 'treefmt' ? ['--ci'] : [];
      return rewriteAndRestore(context, tool, (paths) =>
        runTool(context, transcript, command, [...extra, ...(paths.length > 0 ? paths : ['.'])]),
      );
    }
    const gathered = await runOverFiles(
      context,
      transcript,
      command,
      (files) => nixfmtCheckArgs(files),
      (result) => {
        const report =
          formatter.kind === 'alejandra'
            ? alejandraReading(tool, parseAlejandra(result.stdout, result.stderr))
            : nixfmtReading(tool, parseNixfmt(result.stderr));
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

function alejandraReading(tool: string, report: AlejandraReport) {
  const findings = report.errors.map((error) => ({
    ...syntaxFinding(tool, error.path, `alejandra cannot parse this file: ${error.message}`),
    ...parseErrorOffset(error.message),
  }));
  return { findings, unformatted: report.unformatted };
}

function nixfmtReading(tool: string, report: NixfmtReport) {
  const findings = report.errors.map((error) => ({
    ...syntaxFinding(tool, error.path, `nixfmt cannot parse this file: ${error.message}`),
    line: error.line,
    column: error.column,
    columns: 'tab-stops' as const,
    endLine: error.line,
  }));
  return { findings, unformatted: report.unformatted };
}

function syntaxFinding(tool: string, path: string, message: string): ToolFinding {
  return { check: 'format', tool, path, severity: 'error', rule: 'syntax', message };
}

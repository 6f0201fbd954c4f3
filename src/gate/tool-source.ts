import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ChildRole } from '../core/child-environment.js';
import type { TOOL_SOURCES } from './inputs.js';

export type ToolSourceSetting = (typeof TOOL_SOURCES)[number];

/** The programs the gate can run, by their nixpkgs attribute. */
export type GateTool = 'deadnix' | 'statix' | 'alejandra' | 'nixfmt' | 'treefmt';

/** How to start one tool: the program and the arguments that come before the tool's own. */
export interface ToolCommand {
  tool: GateTool | 'nix';
  program: string;
  prefix: readonly string[];
  /** `deadnix` from PATH, or `nix run --inputs-from <flake> nixpkgs#deadnix` when Nix provides it. */
  via: 'path' | 'nix';
  /** `nix` for the Nix that fetches the flake's inputs itself (flake check): child-environment.ts. */
  role?: ChildRole;
}

/**
 * Finds each tool where `tools` says: on PATH, or from the user's own nixpkgs pinned in their
 * flake.lock (`nix run --inputs-from <flake> nixpkgs#<tool> --`), or on PATH first.
 */
export class ToolSource {
  private readonly lookups = new Map<GateTool, Promise<string | undefined>>();
  private nixpkgsFlake?: Promise<string | undefined>;

  constructor(
    readonly setting: ToolSourceSetting,
    flakeDir: string,
    /** The PATH the tools run with. */
    private readonly searchPath: string,
    /**
     * The flake whose locked nixpkgs provides the tools: the checked-out flake, or on a pull request
     * one naming its base revision's nixpkgs; undefined leaves nixpkgs to Nix's registry. Asked once.
     */
    private readonly nixpkgsFrom: () => Promise<string | undefined> = async () => flakeDir,
  ) {}

  async command(tool: GateTool): Promise<ToolCommand> {
    if (this.setting !== 'nix') {
      const found = await this.onPath(tool);
      if (found) return { tool, program: found, prefix: [], via: 'path' };
      if (this.setting === 'path') {
        throw new ToolUnavailable(
          `${tool} is not on PATH (tools: path): install it in the job, or use tools: path-or-nix`,
        );
      }
    }
    this.nixpkgsFlake ??= this.nixpkgsFrom();
    return { tool, program: 'nix', prefix: nixRunPrefix(await this.nixpkgsFlake, tool), via: 'nix' };
  }

  /** The tool's absolute path when PATH has it. */
  onPath(tool: GateTool): Promise<string | undefined> {
    let lookup = this.lookups.get(tool);
    if (!lookup) {
      lookup = findExecutable(tool, this.searchPath);
      this.lookups.set(tool, lookup);
    }
    return lookup;
  }
}

export function nixRunPrefix(inputsFrom: string | undefined, tool: GateTool): string[] {
  return [
    'run',
    '--extra-experimental-features',
    'nix-command flakes',
    ...(inputsFrom === undefined ? [] : ['--inputs-from', inputsFrom]),
    `nixpkgs#${tool}`,
    '--',
  ];
}

/** A tool the gate cannot start: its check fails with this one-line reason. */
export class ToolUnavailable extends Error {}

export async function findExecutable(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** How messages name a tool: `statix`, or `nix run nixpkgs#statix` when Nix provides it. */
export function commandLabel(command: ToolCommand): string {
  return command.via === 'nix' && command.tool !== 'nix' ? `nix run nixpkgs#${command.tool}` : command.tool;
}

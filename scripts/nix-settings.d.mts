export function groupExists(name: string, groupFile?: string): boolean;
export function flakeflowNixSettings(machine?: { uid?: number; hasBuildGroup?: boolean }): string;
export function flakeflowNixConfig(existing?: string): string;

import type { PackageChange } from './build-result.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const SIZE = /, ([+-]\d+(?:\.\d+)?) KiB$/;
const ONLY_SIZE = /^([+-]\d+(?:\.\d+)?) KiB$/;

function versions(text: string): string[] {
  if (text === '∅') return [];
  return text.split(', ').map((version) => (version === 'ε' ? '' : version));
}

/**
 * Reads `nix store diff-closures` lines: `name: 1.0 → 1.1, +12.3 KiB`, `name: ∅ → 2.0`,
 * `name: +9.1 KiB`. `∅` is an absent package, `ε` a version-less one.
 */
export function parseDiffClosures(output: string): PackageChange[] {
  const changes: PackageChange[] = [];
  for (const raw of output.replace(ANSI, '').split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(': ');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    let rest = line.slice(colon + 2);
    let sizeDelta: number | undefined;
    const onlySize = ONLY_SIZE.exec(rest);
    if (onlySize) {
      changes.push({ name, before: [], after: [], sizeDelta: Math.round(Number(onlySize[1]) * 1024) });
      continue;
    }
    const size = SIZE.exec(rest);
    if (size) {
      sizeDelta = Math.round(Number(size[1]) * 1024);
      rest = rest.slice(0, size.index);
    }
    const arrow = rest.indexOf(' → ');
    if (arrow === -1) continue;
    changes.push({
      name,
      before: versions(rest.slice(0, arrow)),
      after: versions(rest.slice(arrow + 3)),
      ...(sizeDelta !== undefined ? { sizeDelta } : {}),
    });
  }
  return changes;
}

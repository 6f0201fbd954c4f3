/** Suggestions for a mistyped name: an input, an option, a command. */

/** Levenshtein distance between two names. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Names close to `wanted`: a small edit away, or sharing a word with it. */
export function closeMatches(wanted: string, names: readonly string[], limit = 3): string[] {
  const words = new Set(wanted.split('-').filter((word) => word.length >= 3));
  const scored = names
    .map((name) => {
      const distance = editDistance(wanted, name);
      const sharesWord = name.split('-').some((word) => words.has(word));
      const prefix = name.startsWith(wanted) || wanted.startsWith(name);
      const close = distance <= Math.max(2, Math.floor(name.length / 3)) || sharesWord || prefix;
      return { name, distance: sharesWord || prefix ? distance - 1 : distance, close };
    })
    .filter((entry) => entry.close)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  return scored.slice(0, limit).map((entry) => entry.name);
}

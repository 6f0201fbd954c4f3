/** The netrc keywords curl (Nix's downloader) reads; each but `default` is followed by a value. */
const NETRC_KEYWORDS = new Set(['machine', 'default', 'login', 'password', 'account', 'macdef']);

/**
 * Checks a netrc as curl reads it: `machine HOST` (or `default`) entries with `login`, `password`
 * and `account` values, newlines or spaces between them. Returns what is wrong, never a value.
 */
export function netrcProblem(netrc: string): string | undefined {
  const words = netrc.split(/\s+/).filter((word) => word !== '');
  let entries = 0;
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (word === 'macdef') return 'no macdef (Nix runs no macros)';
    if (!NETRC_KEYWORDS.has(word)) return `a keyword (machine, login, password…) where a value stood`;
    if (word === 'machine' || word === 'default') entries++;
    else if (entries === 0) return `"machine HOST" before "${word}"`;
    if (word === 'default') continue;
    if (index + 1 >= words.length) return `a value after "${word}"`;
    index++;
  }
  return entries === 0 ? 'at least one "machine HOST" entry' : undefined;
}

/** The values of a netrc's `password` entries, to mask. */
export function netrcPasswords(netrc: string): string[] {
  const words = netrc.split(/\s+/).filter((word) => word !== '');
  return words.flatMap((word, index) =>
    word === 'password' && words[index + 1] ? [words[index + 1] as string] : [],
  );
}

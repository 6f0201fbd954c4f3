/**
 * The `exclude` globs, matched the way .gitignore matches: against paths relative to the flake, a
 * pattern without a slash matches a name at any depth, and a pattern that matches a directory leaves
 * out everything under it. `*` and `?` stay within a path segment, `**` crosses them, `{a,b}` and
 * `[...]` work as in a shell.
 */
export class PathGlobs {
  private readonly patterns: RegExp[];

  constructor(readonly sources: readonly string[]) {
    this.patterns = sources.map(compileGlob);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `path` (relative, forward slashes) or one of its parent directories is excluded. */
  matches(path: string): boolean {
    if (this.patterns.length === 0) return false;
    const segments = normalizePath(path).split('/');
    for (let end = segments.length; end > 0; end -= 1) {
      const candidate = segments.slice(0, end).join('/');
      if (this.patterns.some((pattern) => pattern.test(candidate))) return true;
    }
    return false;
  }
}

/** `./a//b/` → `a/b`: the form tools and git print paths in differs. */
export function normalizePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '');
}

function compileGlob(source: string): RegExp {
  let glob = source.trim().replace(/^(\.\/)+/, '');
  const anchored = glob.startsWith('/') || glob.replace(/\/$/, '').includes('/');
  glob = glob.replace(/^\/+/, '').replace(/\/+$/, '');
  const body = translate(glob);
  return new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
}

function translate(glob: string): string {
  let out = '';
  let braceDepth = 0;
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] as string;
    if (char === '*') {
      if (glob[index + 1] === '*') {
        const atSegmentStart = index === 0 || glob[index - 1] === '/';
        const slashAfter = glob[index + 2] === '/';
        index += 1;
        if (atSegmentStart && slashAfter) {
          index += 1;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const close = glob.indexOf(']', index + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        const inner = glob
          .slice(index + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${inner}]`;
        index = close;
      }
    } else if (char === '{') {
      braceDepth += 1;
      out += '(?:';
    } else if (char === '}' && braceDepth > 0) {
      braceDepth -= 1;
      out += ')';
    } else if (char === ',' && braceDepth > 0) {
      out += '|';
    } else {
      out += char.replace(/[.+^$()|\\}\]]/g, '\\$&');
    }
  }
  return out + ')'.repeat(braceDepth);
}

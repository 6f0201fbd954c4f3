import { UserError } from '../core/errors.js';

const ERE_SPECIAL = /[.^$+(){}|\\]/;

/**
 * A host-name glob as a POSIX extended regular expression that matches whole names, for Nix's
 * `builtins.match` and JavaScript alike: `*` any run of characters, `?` one, `[ab]`/`[!ab]` a class.
 */
export function globToRegex(glob: string, input: string): string {
  let pattern = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] as string;
    if (char === '*') pattern += '.*';
    else if (char === '?') pattern += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 2);
      if (end === -1) throw new UserError(`Input '${input}' has an unclosed '[' in the glob '${glob}'`);
      let members = glob.slice(index + 1, end);
      if (members.startsWith('!')) members = `^${members.slice(1)}`;
      pattern += `[${members.replace(/\\/g, '\\\\')}]`;
      index = end;
    } else if (ERE_SPECIAL.test(char)) pattern += `\\${char}`;
    else pattern += char;
  }
  return pattern;
}

/** Whether `name` matches one of the regular expressions `globToRegex` made. */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => new RegExp(`^(?:${pattern})$`).test(name));
}

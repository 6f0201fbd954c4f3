/**
 * Splits a command line into argv as a POSIX shell would split words, without running a shell:
 * single quotes keep everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes
 * escapes the next character. Shell operators, expansions and substitutions are refused, since no
 * shell runs to give them their meaning. Returns what is wrong instead of argv.
 */
export function splitCommandLine(line: string): string[] | { invalid: string } {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index] as string;
    if (/\s/.test(char)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === "'") {
      const end = line.indexOf("'", index + 1);
      if (end < 0) return { invalid: 'an unclosed single quote' };
      word += line.slice(index + 1, end);
      index = end;
    } else if (char === '"') {
      let end = index + 1;
      for (; end < line.length && line[end] !== '"'; end++) {
        const inner = line[end] as string;
        if (inner === '$' || inner === '`') return { invalid: `"${inner}" (no shell expands it)` };
        if (inner === '\\' && (line[end + 1] === '"' || line[end + 1] === '\\')) end++;
        word += line[end];
      }
      if (end >= line.length) return { invalid: 'an unclosed double quote' };
      index = end;
    } else if (char === '\\') {
      if (index + 1 >= line.length) return { invalid: 'a backslash at the end' };
      word += line[++index];
    } else if ('|&;<>()$`*?[]{}'.includes(char) || ('~#'.includes(char) && word === '')) {
      return { invalid: `"${char}" (no shell runs the command: give the program and its arguments)` };
    } else {
      word += char;
    }
  }
  if (inWord) argv.push(word);
  return argv.length === 0 ? { invalid: 'a program' } : argv;
}

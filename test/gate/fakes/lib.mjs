// Shared by the fake deadnix, statix, alejandra, nixfmt and treefmt under ./bin. They print exactly
// what the real tools print (/work/shared/formats/lint-tools.md) and exit with their codes; what
// they find comes from a small but real reading of the .nix files:
//
// - syntax: unbalanced braces, brackets or parentheses (strings and comments skipped);
// - style (the formatters): a file is formatted when no line has trailing blanks or tabs and it
//   ends with exactly one newline; formatting strips those;
// - deadnix: let bindings, `inherit` names in a let, lambda pattern names (and `args@`) and
//   lambda arguments whose name appears nowhere else in the file;
// - statix: `x = x;` (W03 manual_inherit), `x = y.x;` (W04 manual_inherit_from),
//   `e == true|false` (W01 bool_comparison), `x: f x` (W07 eta_reduction, as a Hint).
//
// Environment: FAKE_GATE_LOG=<file> appends one JSON line per run ({tool, args, cwd});
// FAKE_GATE_SCENARIO=<file.json> maps a tool name to {stdout, stderr, exit} printed verbatim
// instead; FAKE_<TOOL>_PANIC=1 makes a tool panic like Rust (exit 101); FAKE_STATIX_VARIANT=0.5.8
// drops the fork's rule names; FAKE_TREEFMT_VARIANT=2.0 logs `ERRO format: file has changed`.
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function startFake(tool) {
  const args = process.argv.slice(2);
  if (process.env.FAKE_GATE_LOG) {
    appendFileSync(process.env.FAKE_GATE_LOG, `${JSON.stringify({ tool, args, cwd: process.cwd() })}\n`);
  }
  const scenarioFile = process.env.FAKE_GATE_SCENARIO;
  if (scenarioFile && existsSync(scenarioFile)) {
    const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8'))[tool];
    if (scenario) {
      process.stdout.write(scenario.stdout ?? '');
      process.stderr.write(scenario.stderr ?? '');
      process.exit(scenario.exit ?? 0);
    }
  }
  if (process.env[`FAKE_${tool.toUpperCase()}_PANIC`]) {
    process.stderr.write(
      `thread 'main' panicked at src/main.rs:42:10:\ncalled \`Option::unwrap()\` on a \`None\` value\n` +
        'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n',
    );
    process.exit(101);
  }
  return args;
}

/** Writes everything, then exits: process.exit right after a large write would cut a pipe short. */
export function finish(code, stdout = '', stderr = '') {
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write(stdout, done);
  process.stderr.write(stderr, done);
}

export function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** Text with comments and string contents blanked (same length, newlines kept), interpolations kept. */
export function maskSource(text) {
  const out = text.split('');
  const modes = ['code'];
  const braceStack = [];
  let index = 0;
  const blank = (i) => {
    if (out[i] !== '\n') out[i] = ' ';
  };
  while (index < text.length) {
    const mode = modes[modes.length - 1];
    const char = text[index];
    const next = text[index + 1];
    if (mode === 'code') {
      if (char === '#') {
        while (index < text.length && text[index] !== '\n') blank(index++);
        continue;
      }
      if (char === '/' && next === '*') {
        const end = text.indexOf('*/', index + 2);
        const stop = end === -1 ? text.length : end + 2;
        while (index < stop) blank(index++);
        continue;
      }
      if (char === '"') {
        modes.push('string');
      } else if (char === "'" && next === "'") {
        modes.push('indented');
        index += 2;
        continue;
      } else if (char === '{') {
        braceStack.push(modes.length);
      } else if (
        char === '}' &&
        braceStack.length > 0 &&
        braceStack[braceStack.length - 1] === modes.length
      ) {
        braceStack.pop();
      } else if (char === '}' && modes.length > 1 && modes[modes.length - 1] === 'code') {
        modes.pop();
      }
      index += 1;
      continue;
    }
    if (char === '$' && next === '{') {
      modes.push('code');
      index += 2;
      continue;
    }
    if (mode === 'string') {
      if (char === '\\') {
        blank(index);
        blank(index + 1);
        index += 2;
        continue;
      }
      if (char === '"') {
        modes.pop();
        index += 1;
        continue;
      }
    } else if (mode === 'indented') {
      if (char === "'" && next === "'" && text[index + 2] !== "'" && text[index + 2] !== '$') {
        modes.pop();
        index += 2;
        continue;
      }
      if (char === "'" && next === "'") {
        blank(index);
        blank(index + 1);
        blank(index + 2);
        index += 3;
        continue;
      }
    }
    blank(index);
    index += 1;
  }
  return { masked: out.join(''), unterminated: modes.length > 1 };
}

/**
 * The first syntax error: `{ kind: 'eof' }` or `{ kind: 'token', offset, byteOffset, token }` (a string
 * index and the 0-based UTF-8 byte offset the real tools count); undefined when fine.
 */
export function syntaxError(text) {
  const { masked, unterminated } = maskSource(text);
  const stack = [];
  const pairs = { '}': '{', ']': '[', ')': '(' };
  const names = { '}': 'TOKEN_R_BRACE', ']': 'TOKEN_R_BRACK', ')': 'TOKEN_R_PAREN' };
  for (let index = 0; index < masked.length; index += 1) {
    const char = masked[index];
    if (char === '{' || char === '[' || char === '(') stack.push(char);
    else if (char in pairs) {
      if (stack.pop() !== pairs[char])
        return {
          kind: 'token',
          offset: index,
          byteOffset: Buffer.byteLength(text.slice(0, index)),
          token: names[char],
          char,
        };
    }
  }
  if (stack.length > 0 || unterminated || text.trim() === '') return { kind: 'eof', offset: text.length };
  return undefined;
}

/** 1-based line and 1-based byte column of a character index. */
export function position(text, index) {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line, column: Buffer.byteLength(text.slice(lineStart, index)) + 1 };
}

export function isFormatted(text) {
  return formatText(text) === text;
}

export function formatText(text) {
  const lines = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\t/g, '  ').replace(/[ \t]+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

/** Expands files and directories into .nix files, directories walked in name order. */
export function expandPaths(paths, { hidden = false, skip = () => false, extensions = ['.nix'] } = {}) {
  const files = [];
  const visit = (path) => {
    if (skip(path)) return;
    let stats;
    try {
      stats = statSync(path);
    } catch {
      files.push({ path, missing: true });
      return;
    }
    if (stats.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name === '.git' || (!hidden && name.startsWith('.'))) continue;
        const child = path === '.' ? `./${name}` : join(path, name);
        const childStats = statSync(child, { throwIfNoEntry: false });
        if (childStats?.isDirectory()) visit(child);
        else if (extensions.some((extension) => name.endsWith(extension))) visit(child);
      }
    } else {
      files.push({ path });
    }
  };
  for (const path of paths) visit(path);
  return files;
}

/** A shell-like glob as a RegExp over a whole path (`**` crosses directories). */
export function globRegExp(glob) {
  let out = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      out += '.*';
      index += 1;
      if (glob[index + 1] === '/') index += 1;
    } else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^$()|\\{}[\]]/g, '\\$&');
  }
  return new RegExp(`^(?:\\./)?${out}$`);
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_'-]*/y;
const KEYWORDS = new Set([
  'let',
  'in',
  'with',
  'rec',
  'inherit',
  'if',
  'then',
  'else',
  'assert',
  'or',
  'true',
  'false',
  'null',
]);

function occurrences(masked, name) {
  const pattern = new RegExp(`(?<![A-Za-z0-9_'-])${name.replace(/[-']/g, '\\$&')}(?![A-Za-z0-9_'-])`, 'g');
  return [...masked.matchAll(pattern)].map((match) => match.index);
}

/** What deadnix reports for one file: [{ line, column, endColumn, message }], by position. */
export function deadCode(text, options) {
  const { masked } = maskSource(text);
  const lines = text.split('\n');
  const results = [];
  const skipped = (index) => {
    const { line } = position(text, index);
    return line > 1 && /#\s*deadnix:\s*skip/.test(lines[line - 2] ?? '');
  };
  const report = (index, name, kind) => {
    if (options.noUnderscore && name.startsWith('_')) return;
    if (skipped(index)) return;
    if (occurrences(masked, name).some((other) => other !== index)) return;
    const start = position(text, index);
    results.push({
      column: start.column,
      endColumn: start.column + Buffer.byteLength(name),
      line: start.line,
      message: `Unused ${kind}: ${name}`,
    });
  };

  // let … in: bindings at the let's own nesting level.
  for (const match of masked.matchAll(/(?<![A-Za-z0-9_'-])let(?![A-Za-z0-9_'-])/g)) {
    let depth = 0;
    let index = match.index + 3;
    let statementStart = true;
    for (; index < masked.length; index += 1) {
      const char = masked[index];
      if (char === '{' || char === '[' || char === '(') depth += 1;
      else if (char === '}' || char === ']' || char === ')') depth -= 1;
      if (depth < 0) break;
      const identChar = /[A-Za-z0-9_'-]/;
      const atIn = masked.startsWith('in', index) && !identChar.test(masked[index - 1]);
      if (depth === 0 && atIn && !identChar.test(masked[index + 2] ?? ' ')) {
        break;
      }
      if (depth === 0 && char === ';') {
        statementStart = true;
        continue;
      }
      if (depth === 0 && statementStart && /[A-Za-z_]/.test(char)) {
        statementStart = false;
        IDENTIFIER.lastIndex = index;
        const word = IDENTIFIER.exec(masked)?.[0];
        if (!word) continue;
        if (word === 'inherit') {
          let cursor = index + word.length;
          const end = masked.indexOf(';', cursor);
          const paren = masked.slice(cursor, end).match(/^\s*\(/);
          if (paren) cursor = masked.indexOf(')', cursor) + 1;
          for (const name of masked.slice(cursor, end).matchAll(/[A-Za-z_][A-Za-z0-9_'-]*/g)) {
            report(cursor + name.index, name[0], 'let binding');
          }
        } else if (/^\s*=(?!=)/.test(masked.slice(index + word.length)) && !KEYWORDS.has(word)) {
          report(index, word, 'let binding');
        }
        index += word.length - 1;
      }
    }
  }

  // { a, b ? 1, ... }: and name@{ … }: / { … }@name:
  for (const match of masked.matchAll(
    /([A-Za-z_][A-Za-z0-9_'-]*\s*@\s*)?\{([^{}]*)\}(\s*@\s*[A-Za-z_][A-Za-z0-9_'-]*)?\s*:(?!\/)/g,
  )) {
    const bodyStart = match.index + (match[1]?.length ?? 0) + 1;
    if (!options.noLambdaPatternNames) {
      for (const element of match[2].matchAll(/(^|,)\s*([A-Za-z_][A-Za-z0-9_'-]*)\s*(?=[,?}]|$)/g)) {
        const offset = bodyStart + element.index + element[0].length - element[2].length;
        report(offset, element[2], 'lambda pattern');
      }
    }
    const at = match[1] ?? match[3];
    if (at && !options.noLambdaArg) {
      const name = at.replace(/[@\s]/g, '');
      const offset = match[1] ? match.index : match.index + match[0].lastIndexOf(name);
      report(offset, name, 'lambda pattern');
    }
  }

  // x: body
  if (!options.noLambdaArg) {
    for (const match of masked.matchAll(
      /(?<![A-Za-z0-9_'.@-])([A-Za-z_][A-Za-z0-9_'-]*)\s*:(?![/:])(?=\s)/g,
    )) {
      if (KEYWORDS.has(match[1])) continue;
      report(match.index, match[1], 'lambda argument');
    }
  }
  return results.sort((a, b) => a.line - b.line || a.column - b.column);
}

function span(text, start, end) {
  return { from: position(text, start), to: position(text, end) };
}

/** What statix reports for one file: [{ name, note, code, severity, diagnostics }]. */
export function lints(text) {
  const { masked } = maskSource(text);
  const reports = [];
  const add = (name, note, code, severity, start, end, message, fix) => {
    const at = span(text, start, end);
    reports.push({
      name,
      note,
      code,
      severity,
      diagnostics: [{ at, message, suggestion: fix === undefined ? null : { at, fix } }],
    });
  };
  for (const match of masked.matchAll(/(?<![A-Za-z0-9_'.-])([A-Za-z_][A-Za-z0-9_'-]*)\s*=\s*\1\s*;/g)) {
    add(
      'manual_inherit',
      'Assignment instead of inherit',
      3,
      'Warn',
      match.index,
      match.index + match[0].length,
      'This assignment is better written with `inherit`',
      `inherit ${match[1]};`,
    );
  }
  for (const match of masked.matchAll(
    /(?<![A-Za-z0-9_'.-])([A-Za-z_][A-Za-z0-9_'-]*)\s*=\s*([A-Za-z_][A-Za-z0-9_'-]*)\.\1\s*;/g,
  )) {
    add(
      'manual_inherit_from',
      'Assignment instead of inherit from',
      4,
      'Warn',
      match.index,
      match.index + match[0].length,
      'This assignment is better written with `inherit`',
      `inherit (${match[2]}) ${match[1]};`,
    );
  }
  for (const match of masked.matchAll(
    /([A-Za-z_][A-Za-z0-9_'.-]*)\s*(==|!=)\s*(true|false)(?![A-Za-z0-9_'-])/g,
  )) {
    const negate = (match[2] === '==') !== (match[3] === 'true');
    add(
      'bool_comparison',
      'Unnecessary comparison with boolean',
      1,
      'Warn',
      match.index,
      match.index + match[0].length,
      `Comparing \`${match[1]}\` with boolean literal \`${match[3]}\``,
      negate ? `!${match[1]}` : match[1],
    );
  }
  for (const match of masked.matchAll(
    /(?<![A-Za-z0-9_'.@-])([A-Za-z_][A-Za-z0-9_'-]*):\s+([A-Za-z_][A-Za-z0-9_'.-]*)\s+\1(?=\s*[;)\]}]|\s*$)/gm,
  )) {
    add(
      'eta_reduction',
      'This function expression is eta reducible',
      7,
      'Hint',
      match.index,
      match.index + match[0].length,
      `Found eta-reduction: \`${match[2]}\``,
      match[2],
    );
  }
  return reports.sort(
    (a, b) =>
      a.diagnostics[0].at.from.line - b.diagnostics[0].at.from.line ||
      a.diagnostics[0].at.from.column - b.diagnostics[0].at.from.column,
  );
}

/** statix's report for a file it cannot parse. */
export function syntaxReport(text, error) {
  const at = error.kind === 'eof' ? position(text, text.length) : position(text, error.offset);
  return {
    name: 'syntax_error',
    note: 'Syntax error',
    code: 0,
    severity: 'Error',
    diagnostics: [
      {
        at: { from: at, to: at },
        message: error.kind === 'eof' ? 'Unexpected end of file' : `Unexpected token ${error.token}`,
        suggestion: null,
      },
    ],
  };
}

/** megaparsec's column: one per character (code point), a tab reaching the next multiple of 8. */
function megaparsecColumn(lineText) {
  let column = 1;
  for (const char of lineText) column = char === '\t' ? Math.floor((column - 1) / 8) * 8 + 9 : column + 1;
  return column;
}

/** The megaparsec excerpt nixfmt prints for a parse error. */
export function megaparsecError(label, text, error) {
  const index = error.kind === 'eof' ? text.length : error.offset;
  const line = text.slice(0, index).split('\n').length;
  const at = { line, column: megaparsecColumn(text.slice(text.lastIndexOf('\n', index - 1) + 1, index)) };
  const sourceLine = text.split('\n')[at.line - 1] ?? '';
  const gutter = ' '.repeat(String(at.line).length);
  return [
    `${label}:${at.line}:${at.column}:`,
    `${gutter} |`,
    `${at.line} | ${sourceLine === '' ? '<empty line>' : sourceLine}`,
    `${gutter} | ${' '.repeat(at.column - 1)}^`,
    error.kind === 'eof' ? 'unexpected end of input' : `unexpected '${error.char}'`,
    'expecting expression',
    '',
  ].join('\n');
}

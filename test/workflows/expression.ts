/**
 * A small evaluator for GitHub Actions expressions, enough to test what a workflow's `if:` and
 * `with:` values do for a given event: literals, context paths, `!`, comparisons, `&&`/`||` (which
 * return an operand, as on GitHub), parentheses and the functions workflows here use.
 */

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Contexts = Record<string, Value>;

type Token = { kind: 'punct' | 'string' | 'number' | 'word'; text: string };

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '!', '<', '>', '(', ')', '[', ']', ',', '.'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    const rest = source.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    const string = /^'((?:[^']|'')*)'/.exec(rest);
    if (string) {
      tokens.push({ kind: 'string', text: (string[1] as string).replace(/''/g, "'") });
      at += string[0].length;
      continue;
    }
    const number = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0] });
      at += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][\w-]*/.exec(rest);
    if (word) {
      tokens.push({ kind: 'word', text: word[0] });
      at += word[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => rest.startsWith(candidate));
    if (!punct) throw new Error(`unexpected '${rest[0]}' in ${source}`);
    tokens.push({ kind: 'punct', text: punct });
    at += punct.length;
  }
  return tokens;
}

function truthy(value: Value | undefined): boolean {
  return !(value === false || value === 0 || value === '' || value === null || value === undefined);
}

function loose(value: Value | undefined): Value {
  return typeof value === 'string' ? value.toLowerCase() : (value ?? null);
}

function equal(a: Value | undefined, b: Value | undefined): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a ?? 0) === Number(b ?? 0);
  return loose(a) === loose(b);
}

function text(value: Value | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const FUNCTIONS: Record<string, (...args: Array<Value | undefined>) => Value> = {
  format: (pattern, ...args) => text(pattern).replace(/\{(\d+)\}/g, (_, index) => text(args[Number(index)])),
  startswith: (value, prefix) => text(value).toLowerCase().startsWith(text(prefix).toLowerCase()),
  endswith: (value, suffix) => text(value).toLowerCase().endsWith(text(suffix).toLowerCase()),
  contains: (haystack, needle) =>
    Array.isArray(haystack)
      ? haystack.some((item) => equal(item, needle))
      : text(haystack).toLowerCase().includes(text(needle).toLowerCase()),
  fromjson: (value) => JSON.parse(text(value)) as Value,
  tojson: (value) => JSON.stringify(value ?? null),
};

export function evaluate(
  source: string,
  contexts: Contexts,
  status: 'success' | 'failure' = 'success',
): Value {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string): Token => {
    const token = tokens[position++];
    if (!token || (expected !== undefined && token.text !== expected)) {
      throw new Error(`expected ${expected ?? 'more'} in ${source}`);
    }
    return token;
  };
  // Parsing builds thunks, so that && and || skip their right side as GitHub does.
  type Thunk = () => Value | undefined;

  const call = (name: string, args: Thunk[]): Thunk => {
    const lower = name.toLowerCase();
    if (lower === 'always') return () => true;
    if (lower === 'success') return () => status === 'success';
    if (lower === 'failure') return () => status === 'failure';
    if (lower === 'cancelled') return () => false;
    const fn = FUNCTIONS[lower];
    if (!fn) throw new Error(`unknown function ${name}`);
    return () => fn(...args.map((arg) => arg()));
  };

  const primary = (): Thunk => {
    const token = take();
    if (token.kind === 'string') return () => token.text;
    if (token.kind === 'number') return () => Number(token.text);
    if (token.text === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token.text === '!') {
      const operand = primary();
      return () => !truthy(operand());
    }
    if (token.kind !== 'word') throw new Error(`unexpected '${token.text}' in ${source}`);
    if (token.text === 'true' || token.text === 'false') return () => token.text === 'true';
    if (token.text === 'null') return () => null;
    if (peek()?.text === '(') {
      take('(');
      const args: Thunk[] = [];
      while (peek()?.text !== ')') {
        args.push(or());
        if (peek()?.text === ',') take(',');
      }
      take(')');
      return call(token.text, args);
    }
    const path: Thunk[] = [];
    for (;;) {
      if (peek()?.text === '.') {
        take('.');
        const key = take().text;
        path.push(() => key);
      } else if (peek()?.text === '[') {
        take('[');
        path.push(or());
        take(']');
      } else break;
    }
    return () => {
      let value: Value | undefined = contexts[token.text];
      for (const key of path) {
        const name = text(key());
        value = value && typeof value === 'object' && !Array.isArray(value) ? value[name] : undefined;
      }
      return value;
    };
  };

  const comparison = (): Thunk => {
    let left = primary();
    while (['==', '!=', '<', '>', '<=', '>='].includes(peek()?.text ?? '')) {
      const operator = take().text;
      const right = primary();
      const before = left;
      left = () => {
        const [a, b] = [before(), right()];
        if (operator === '==') return equal(a, b);
        if (operator === '!=') return !equal(a, b);
        const [x, y] = [Number(a ?? 0), Number(b ?? 0)];
        return operator === '<' ? x < y : operator === '>' ? x > y : operator === '<=' ? x <= y : x >= y;
      };
    }
    return left;
  };

  const and = (): Thunk => {
    let left = comparison();
    while (peek()?.text === '&&') {
      take('&&');
      const right = comparison();
      const before = left;
      left = () => {
        const value = before();
        return truthy(value) ? right() : value;
      };
    }
    return left;
  };

  const or = (): Thunk => {
    let left = and();
    while (peek()?.text === '||') {
      take('||');
      const right = and();
      const before = left;
      left = () => {
        const value = before();
        return truthy(value) ? value : right();
      };
    }
    return left;
  };

  const expression = or();
  if (position !== tokens.length) throw new Error(`unexpected '${tokens[position]?.text}' in ${source}`);
  return expression() ?? null;
}

/** What a job or step `if:` decides: `${{ }}` optional, and `success() &&` implied without a status function. */
export function condition(
  source: string | undefined,
  contexts: Contexts,
  status: 'success' | 'failure' = 'success',
) {
  if (source === undefined) return status === 'success';
  const inner = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(source)?.[1] ?? source;
  const decided = truthy(evaluate(inner, contexts, status));
  const statusChecked = /\b(always|success|failure|cancelled)\s*\(/.test(inner);
  return statusChecked ? decided : decided && status === 'success';
}

/** A `with:`/`env:` value: `${{ }}` parts evaluated, the rest kept. */
export function interpolate(source: string, contexts: Contexts): string {
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(source);
  if (whole) return text(evaluate(whole[1] as string, contexts));
  return source.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, inner: string) => text(evaluate(inner, contexts)));
}

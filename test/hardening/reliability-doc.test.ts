import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../harness/run-action.js';

const document = readFileSync(join(repositoryRoot, 'docs', 'RELIABILITY.md'), 'utf8');

/** Every `file` › *test name* the document cites, including the › *…* that follow on one line. */
function citations(): Array<{ file: string; name: string }> {
  const found: Array<{ file: string; name: string }> = [];
  for (const line of document.split('\n')) {
    let file: string | undefined;
    for (const match of line.matchAll(/`(test\/[^`]+\.test\.ts)`|› \*([^*]+)\*/g)) {
      if (match[1]) file = match[1];
      else if (file && match[2]) found.push({ file, name: match[2] });
    }
  }
  return found;
}

describe('docs/RELIABILITY.md', () => {
  it('cites tests', () => {
    expect(citations().length).toBeGreaterThan(30);
  });

  it.each(citations())('cites $file › $name, which exists', ({ file, name }) => {
    const path = join(repositoryRoot, file);
    expect(existsSync(path), file).toBe(true);
    const source = readFileSync(path, 'utf8');
    expect(
      source.includes(`'${name}'`) || source.includes(`\`${name}\``),
      `${file} has no test '${name}'`,
    ).toBe(true);
  });
});

// What the real deadnix 1.3.1, statix 0.5.8 and fork, alejandra 4.0.0 and nixfmt 1.4.0 printed, as
// copied into test/fixtures/recorded/linters (README there). The fakes use it two ways:
// - `replayRecorded`: run in a directory holding the recorded corpus, with a command line that was
//   recorded, a fake prints the recording byte for byte and exits with its code;
// - `recordedFile`: for any file whose bytes equal a corpus file, a fake prints the real tool's own
//   output for that file (its path put in), whatever other files the command names.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** In the repository, or beside the fakes when they were packaged (test/gate/support.ts copyFakes). */
const packaged = join(import.meta.dirname, 'recorded-linters.path');
export const RECORDED = [
  ...(existsSync(packaged) ? [readFileSync(packaged, 'utf8').trim()] : []),
  resolve(import.meta.dirname, '../../fixtures/recorded/linters'),
].find((dir) => existsSync(join(dir, 'corpus')));
if (!RECORDED)
  throw new Error(
    `the fakes need the recordings in test/fixtures/recorded/linters (from ${import.meta.dirname})`,
  );
const CORPUS = join(RECORDED, 'corpus');

/** Corpus files by relative path (`sub/skip.nix`), and the recording case each names (`sub_skip`). */
const corpus = new Map();
const walk = (dir, prefix) => {
  for (const name of readdirSync(dir).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(dir, name)).isDirectory()) walk(join(dir, name), path);
    else
      corpus.set(path, {
        text: readFileSync(join(dir, name), 'utf8'),
        name: path.replace(/\.nix$/, '').replace(/\//g, '_'),
      });
  }
};
walk(CORPUS, '');
const byText = new Map([...corpus.entries()].map(([path, entry]) => [entry.text, { path, ...entry }]));

const read = (folder, name, part) => {
  const file = join(RECORDED, folder, `${name}.${part}`);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

/** The recorded argv, as the shell word list it was typed as (`sub/\*` unquoted). */
function recordedArgs(folder, name) {
  const words = read(folder, name, 'argv')
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/\\(.)/g, '$1'));
  return words.slice(1);
}

function holdsCorpus(cwd) {
  for (const [path, { text }] of corpus) {
    const file = join(cwd, path);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) return false;
  }
  return true;
}

/** The recording of exactly this command line in the corpus directory: `{ stdout, stderr, exit }`. */
export function replayRecorded(folder, args, cwd = process.cwd()) {
  if (!holdsCorpus(cwd)) return undefined;
  const cases = new Set(readdirSync(join(RECORDED, folder)).map((file) => file.replace(/\.[a-z]+$/, '')));
  // deadnix's human output was recorded twice with the same command line, with and without NO_COLOR.
  const colour = process.env.NO_COLOR === undefined;
  for (const name of [...cases].sort()) {
    if (name.includes('-nocolor-') === colour && folder === 'deadnix') continue;
    const recorded = recordedArgs(folder, name);
    if (recorded.length !== args.length || recorded.some((word, index) => word !== args[index])) continue;
    // A command that read stdin was recorded with a shell redirection, never replayed from here.
    if (read(folder, name, 'argv').includes('<')) continue;
    return {
      stdout: read(folder, name, 'stdout') ?? '',
      stderr: read(folder, name, 'stderr') ?? '',
      exit: Number(read(folder, name, 'exit')),
    };
  }
  return undefined;
}

/** The corpus case of a file with these bytes: `{ path, name }` (`sub/skip.nix`, `sub_skip`), else undefined. */
export function corpusCase(text) {
  const entry = byText.get(text);
  return entry ? { path: entry.path, name: entry.name } : undefined;
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The real tool's output for one corpus file, its recorded path replaced by `path`:
 * `{ stdout, stderr, exit }` from the recording `<prefix>-<case>` in `folder`.
 */
export function recordedFile(folder, prefix, text, path) {
  const found = corpusCase(text);
  if (!found) return undefined;
  const name = `${prefix}-${found.name}`;
  if (read(folder, name, 'exit') === undefined) return undefined;
  const recordedPath = new RegExp(`(^|"|- |: )${escapeRegExp(found.path)}(?=$|"|>|:)`, 'gm');
  const put = (output) => (output ?? '').replace(recordedPath, (_, before) => `${before}${path}`);
  return {
    stdout: put(read(folder, name, 'stdout')),
    stderr: put(read(folder, name, 'stderr')),
    exit: Number(read(folder, name, 'exit')),
  };
}

// A stand-in for deploy-rs's `deploy`, which cannot be installed here. It parses deploy-rs's flags and
// prints what the real deploy-rs (master d5eff7f) printed over SSH, byte for byte, from the
// recordings in test/fixtures/recorded/deploy-rs (README there): the node name and the plan put in,
// nothing else changed. FAKE_DEPLOY_SCRIPT names a JSON file telling it, per node, how long to take
// and which recorded run to replay; each invocation is appended to the script's `log` file as JSON
// lines, to assert the flags given and how many ran at once.
//
// Modes: ok (good), rollback (bad: the activation script fails, and `activate-rs wait` is left behind
// holding the output until the activation timeout, as the real one is), timeout (noconfirm), late,
// fail (unreachable), boot and dry-activate by their flags. Beyond the recordings: hang (never ends),
// rollback-exit-0 (deploy-rs#214, not reproduced with the real binary) and magic rollback off.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const RECORDED = resolve(import.meta.dirname, '../../fixtures/recorded/deploy-rs');
if (!existsSync(RECORDED)) throw new Error(`the fake deploy needs the recordings in ${RECORDED}`);

const VALUE_FLAGS = new Set([
  '-r',
  '--result-path',
  '--log-dir',
  '--ssh-user',
  '--profile-user',
  '--fast-connection',
  '--ssh-opts',
  '--hostname',
  '--magic-rollback',
  '--auto-rollback',
  '--confirm-timeout',
  '--activation-timeout',
  '--rollback-succeeded',
  '--temp-path',
  '--sudo',
]);
const BOOLEAN_VALUED = new Set([
  '--fast-connection',
  '--magic-rollback',
  '--auto-rollback',
  '--rollback-succeeded',
]);
const SWITCHES = new Set([
  '-s',
  '--skip-checks',
  '-k',
  '--keep-result',
  '-d',
  '--debug-logs',
  '--remote-build',
  '--dry-activate',
  '--boot',
  '--interactive-sudo',
]);
const LONG = { '-s': '--skip-checks', '-k': '--keep-result', '-d': '--debug-logs', '-r': '--result-path' };

function usageError(message) {
  process.stderr.write(
    `error: ${message}\n\nUSAGE:\n    deploy [OPTIONS] [TARGET]\n\nFor more information try --help\n`,
  );
  process.exit(1);
}

function checkValue(name, value) {
  if (BOOLEAN_VALUED.has(name) && value !== 'true' && value !== 'false') {
    usageError(`Invalid value for '${name} <VALUE>': provided string was not \`true\` or \`false\``);
  }
  return value;
}

function parseArgs(argv) {
  const flags = {};
  const targets = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const joined = /^(--[a-z-]+)=(.*)$/s.exec(arg);
    if (joined && VALUE_FLAGS.has(joined[1])) {
      flags[joined[1]] = checkValue(joined[1], joined[2]);
      continue;
    }
    if (arg === '--') break; // the rest goes to nix flake check, eval and build
    if (arg === '--targets') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) targets.push(argv[++i]);
      if (targets.length === 0)
        usageError("The argument '--targets <TARGETS>...' requires a value but none was supplied");
      continue;
    }
    const name = LONG[arg] ?? arg;
    if (SWITCHES.has(arg)) {
      flags[name] = true;
    } else if (VALUE_FLAGS.has(arg)) {
      const value = argv[++i];
      // clap takes a value that starts with '-' only in the --flag=value form.
      if (value?.startsWith('-'))
        usageError(`The argument '${name} <VALUE>' requires a value but none was supplied`);
      if (value === undefined)
        usageError(`The argument '${name} <VALUE>' requires a value but none was supplied`);
      flags[name] = checkValue(name, value);
    } else if (arg.startsWith('-')) {
      usageError(`Found argument '${arg}' which wasn't expected, or isn't valid in this context`);
    } else {
      targets.push(arg);
    }
  }
  return { flags, targets: targets.length > 0 ? targets : ['.'] };
}

const script = process.env.FAKE_DEPLOY_SCRIPT
  ? JSON.parse(readFileSync(process.env.FAKE_DEPLOY_SCRIPT, 'utf8'))
  : {};
const { flags, targets } = parseArgs(process.argv.slice(2));
const nodes = targets.map((target) => {
  const match = /^(.*)#(?:"([^"]+)"|([^."]+))(?:\.(\w+))?$/.exec(target);
  if (!match) usageError(`Error parsing flake: the target '${target}' names no node`);
  return { repo: match[1] || '.', name: match[2] ?? match[3], profile: match[4] ?? 'system' };
});

const started = Date.now();
const record = (event) => {
  if (script.log) appendFileSync(script.log, `${JSON.stringify({ pid: process.pid, ...event })}\n`);
};
const sshOpts = flags['--ssh-opts'] === undefined ? [] : flags['--ssh-opts'].split(' ');
// The permissions ssh would see on the identity file, never its contents.
const identity = sshOpts[sshOpts.indexOf('-i') + 1];
const keyMode = sshOpts.includes('-i') ? modeOf(identity) : undefined;
record({
  event: 'start',
  at: started,
  argv: process.argv.slice(2),
  nodes: nodes.map((node) => node.name),
  keyMode,
});

function modeOf(path) {
  try {
    return (statSync(path).mode & 0o777).toString(8);
  } catch {
    return 'missing';
  }
}

// The real deploy-rs always colours its level words; 'plain' and 'old' (ℹ without U+FE0F) are the
// variants deploy-rs.md documents.
const style = script.style ?? 'recorded';
const restyle = (line) => {
  let text = line;
  if (style === 'plain') text = text.replace(/\u001b\[[0-9;]*m/g, '');
  if (style === 'old') text = text.replace(/ℹ️/g, 'ℹ');
  return text;
};
const behaviourOf = (name) => script.nodes?.[name] ?? {};
const latencyOf = (name) => behaviourOf(name).latencyMs ?? script.latencyMs ?? 100;

const RECORDING = { ok: 'good', rollback: 'bad', timeout: 'noconfirm', late: 'late', fail: 'unreachable' };
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A recorded run of one node, its lines split where deploy-rs moves on, the node's name put in. */
function recordedRun(recording, node) {
  const read = (part) => readFileSync(join(RECORDED, `${recording}.${part}`), 'utf8');
  const name = escapeRegExp(recording.replace(/-(prep|r2)$/, ''));
  const rename = (text) =>
    text
      .replace(new RegExp(`\`${name}\``, 'g'), `\`${node.name}\``)
      .replace(new RegExp(`\\[${name}([. ])`, 'g'), `[${node.name}$1`)
      .replace(new RegExp(`rd-${name}-`, 'g'), `rd-${node.name}-`)
      .replace(new RegExp(`node ${name}: ${name}$`, 'g'), `node ${node.name}: ${node.name}`)
      .replace(new RegExp(`node ${name}\\b`, 'g'), `node ${node.name}`);
  const lines = read('err').replace(/\n$/, '').split('\n').map(rename);
  const at = (pattern, from = 0) => {
    const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
    return index === -1 ? lines.length : index;
  };
  const building = at(/\] Building profile/);
  const copying = at(/\] Copying profile/);
  const activating = Math.min(at(/\] Activating profile `/), at(/Completed dry-activate!/));
  const planStart = at(/The following profiles are going to be deployed:/) + 1;
  let activation = lines.slice(activating);
  // What the `activate-rs wait` left behind prints once the activation timeout passes.
  const orphan = activation.filter((line) => /\[wait\].*Error waiting for activation/.test(line));
  activation = activation.filter((line) => !orphan.includes(line));
  return {
    header: lines.slice(0, planStart),
    build: lines.slice(building, copying),
    copy: lines.slice(copying, activating),
    activation,
    orphan,
    stdout: read('out').split('\n').filter(Boolean).map(rename),
    exit: Number(read('exit')),
  };
}

function runFor(node) {
  if (flags['--dry-activate']) return recordedRun('dry', node);
  if (flags['--boot']) return recordedRun('boot', node);
  const { mode = 'ok' } = behaviourOf(node.name);
  return recordedRun(RECORDING[mode] ?? 'good', node);
}

const errLine = (line) => process.stderr.write(`${restyle(line)}\n`);
const info = (message) => errLine(`🚀 ℹ️ [deploy] [\u001b[38;5;51mINFO\u001b[0m] ${message}`);

async function finish(code) {
  record({ event: 'end', at: Date.now(), exitCode: code, nodes: nodes.map((node) => node.name) });
  process.exit(code);
}

const runs = nodes.map((node) => ({ node, run: runFor(node) }));
if (!flags['--skip-checks']) info(`Running checks for flake in ${nodes[0].repo}`);
for (const line of runs[0].run.header.slice(0, -1)) errLine(line);
for (let i = 1; i < runs.length; i += 1) info(`Evaluating flake in ${nodes[0].repo}`);
errLine(runs[0].run.header.at(-1));
for (const { node } of runs) {
  process.stderr.write(
    `${[
      `[${node.name}.${node.profile}]`,
      `user = "root"`,
      `ssh_user = "${flags['--ssh-user'] ?? 'deploy'}"`,
      `path = "/nix/store/${'0'.repeat(32)}-activatable-nixos-system-${node.name}-25.11"`,
      `hostname = "${flags['--hostname'] ?? `${node.name}.home.arpa`}"`,
      `ssh_opts = [${sshOpts.map((opt) => JSON.stringify(opt)).join(', ')}]`,
      '',
    ].join('\n')}\n`,
  );
}

for (const { node, run } of runs) {
  for (const line of run.build) errLine(line);
  await sleep(latencyOf(node.name) * 0.4);
}
for (const { node, run } of runs) {
  for (const line of run.copy) errLine(line);
  await sleep(latencyOf(node.name) * 0.2);
  if (run.activation.length === 0 && run.exit !== 0) await finish(run.exit);
}

for (const { node, run } of runs) {
  const { mode = 'ok' } = behaviourOf(node.name);
  const latency = latencyOf(node.name) * 0.4;
  const magic = flags['--magic-rollback'] !== 'false' && !flags['--boot'] && !flags['--dry-activate'];
  // Without magic rollback: `Success activating, done!` (recorded with --magic-rollback false).
  let activation =
    !magic && mode === 'ok' && !flags['--boot'] && !flags['--dry-activate']
      ? recordedRun('late-prep', node).activation
      : run.activation;
  if (mode === 'rollback-exit-0') {
    // deploy-rs#214: the host rolled itself back, yet deploy-rs confirmed and exited 0.
    activation = recordedRun('noconfirm', node).activation.filter(
      (line) => !/\[deploy\] \[\S*ERROR|panicked|unwrap|backtrace|^\s+\d+:|^note:|^$|Revoking/.test(line),
    );
    activation.push('🚀 ℹ️ [deploy] [\u001b[38;5;51mINFO\u001b[0m] Deployment confirmed.');
  }
  const half = Math.max(1, Math.floor(activation.length / 2));
  for (const line of activation.slice(0, half)) errLine(line);
  for (const line of run.stdout) process.stdout.write(`${line}\n`);
  if (mode === 'hang') await sleep(3_600_000);
  await sleep(latency);
  for (const line of activation.slice(half)) errLine(line);
  if (run.orphan.length > 0) {
    // Left behind in deploy's process group, holding its stdout and stderr.
    const timeoutS = Number(flags['--activation-timeout'] ?? 240);
    const text = run.orphan.map((line) => `${restyle(line)}\n`).join('');
    spawn(
      process.execPath,
      ['-e', `setTimeout(() => process.stderr.write(${JSON.stringify(text)}), ${timeoutS * 1000})`],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    ).unref();
  }
  if (mode !== 'rollback-exit-0' && run.exit !== 0) await finish(run.exit);
}
await finish(0);

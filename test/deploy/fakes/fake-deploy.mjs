// A stand-in for deploy-rs's `deploy`, which cannot be installed here. It parses deploy-rs's flags,
// prints deploy-rs's own log lines on stderr (/work/shared/formats/deploy-rs.md) and exits 0 or 1 as
// deploy-rs does. FAKE_DEPLOY_SCRIPT names a JSON file telling it, per node, how long to take and how
// to end; each invocation is appended to the script's `log` file as JSON lines, to assert the flags
// given and how many ran at once.
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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

const style = script.style ?? 'plain';
const INFO = style === 'old' ? 'ℹ' : 'ℹ️';
const LEVELS = { ERROR: '❌', WARN: '⚠️', INFO };
const EMOJI = { deploy: '🚀', activate: '⭐', wait: '👀', revoke: '↩️' };
const paint = (code, text) => (style === 'ansi' ? `\u001b[${code}m${text}\u001b[0m` : text);
const log = (tag, level, message) =>
  process.stderr.write(
    `${EMOJI[tag]} ${LEVELS[level]} ${paint('1;35', `[${tag}]`)} ${paint(level === 'ERROR' ? '1;31' : '1;32', `[${level}]`)} ${message}\n`,
  );
const raw = (text) => process.stderr.write(`${text}\n`);

const behaviourOf = (name) => script.nodes?.[name] ?? {};
const latencyOf = (name) => behaviourOf(name).latencyMs ?? script.latencyMs ?? 100;

async function finish(code) {
  record({ event: 'end', at: Date.now(), exitCode: code, nodes: nodes.map((node) => node.name) });
  process.exit(code);
}

if (!flags['--skip-checks']) log('deploy', 'INFO', `Running checks for flake in ${nodes[0].repo}`);
log('deploy', 'INFO', `Evaluating flake in ${nodes[0].repo}`);
const plan = nodes.map((node) =>
  [
    `[${node.name}.${node.profile}]`,
    `user = "root"`,
    `ssh_user = "${flags['--ssh-user'] ?? 'deploy'}"`,
    `path = "/nix/store/${'0'.repeat(32)}-activatable-nixos-system-${node.name}-25.11"`,
    `hostname = "${flags['--hostname'] ?? `${node.name}.home.arpa`}"`,
    `ssh_opts = [${sshOpts.map((opt) => JSON.stringify(opt)).join(', ')}]`,
    '',
  ].join('\n'),
);
log('deploy', 'INFO', `The following profiles are going to be deployed:\n${plan.join('\n')}`);

for (const node of nodes) {
  const where = flags['--remote-build'] ? ' on remote host' : '';
  log('deploy', 'INFO', `Building profile \`${node.profile}\` for node \`${node.name}\`${where}`);
  await sleep(latencyOf(node.name) * 0.4);
  if (behaviourOf(node.name).mode === 'fail') {
    log(
      'deploy',
      'ERROR',
      `Failed to push profile to node ${node.name}: Nix copy command resulted in a bad exit code: Some(1)`,
    );
    await finish(1);
  }
  log('deploy', 'INFO', `Copying profile \`${node.profile}\` to node \`${node.name}\``);
  await sleep(latencyOf(node.name) * 0.2);
}

for (const node of nodes) {
  const { mode = 'ok' } = behaviourOf(node.name);
  const latency = latencyOf(node.name) * 0.4;
  if (flags['--dry-activate']) {
    raw('would restart the following units: nginx.service');
    await sleep(latency);
    log('deploy', 'INFO', 'Completed dry-activate!');
    continue;
  }
  const magic = flags['--magic-rollback'] !== 'false' && !flags['--boot'];
  const autoRollback = flags['--auto-rollback'] !== 'false';
  log('deploy', 'INFO', `Activating profile \`${node.profile}\` for node \`${node.name}\``);
  if (magic) log('deploy', 'INFO', 'Creating activation waiter');
  log('activate', 'INFO', 'Activating profile');
  if (mode === 'hang') await sleep(3_600_000);
  await sleep(latency / 2);
  if (mode === 'rollback') {
    raw('warning: the following units failed: immich-server.service');
    if (autoRollback) {
      log('activate', 'WARN', 'De-activating due to error');
      raw('switching profile from version 45 to 44');
      log('activate', 'WARN', 'Removing generation by ID 45');
      log('activate', 'INFO', 'Attempting to re-activate the last generation');
    }
    log('activate', 'ERROR', 'The activation script resulted in a bad exit code: Some(4)');
    log('deploy', 'ERROR', 'Activating over SSH resulted in a bad exit code: Some(1)');
    log('deploy', 'INFO', 'Revoking previous deploys');
    log('deploy', 'ERROR', `Deployment to node ${node.name} failed, rolled back to previous generation`);
    await finish(1);
  }
  log('activate', 'INFO', 'Activation succeeded!');
  if (!magic) {
    await sleep(latency / 2);
    log(
      'deploy',
      'INFO',
      flags['--boot'] ? 'Success activating for next boot, done!' : 'Success activating, done!',
    );
    continue;
  }
  log('activate', 'INFO', 'Magic rollback is enabled, setting up confirmation hook...');
  log('wait', 'INFO', 'Waiting for confirmation event...');
  await sleep(latency / 2);
  if (mode === 'timeout' || mode === 'rollback-exit-0') {
    log(
      'activate',
      'ERROR',
      'Failed to get activation confirmation: Error waiting for confirmation event: Timeout elapsed for confirmation',
    );
    log('activate', 'WARN', 'De-activating due to error');
    raw('switching profile from version 46 to 45');
    log('activate', 'WARN', 'Removing generation by ID 46');
    log('activate', 'INFO', 'Attempting to re-activate the last generation');
    if (mode === 'rollback-exit-0') {
      // deploy-rs#214: the confirmation raced the host's own rollback and deploy-rs reports success.
      log('deploy', 'INFO', 'Success activating, attempting to confirm activation');
      log('deploy', 'INFO', 'Deployment confirmed.');
      continue;
    }
    log(
      'deploy',
      'ERROR',
      'Confirming activation over SSH resulted in a bad exit code (the server should roll back): Some(1)',
    );
    log('deploy', 'INFO', 'Revoking previous deploys');
    log('deploy', 'ERROR', `Deployment to node ${node.name} failed, rolled back to previous generation`);
    await finish(1);
  }
  log('deploy', 'INFO', 'Success activating, attempting to confirm activation');
  log('deploy', 'INFO', 'Deployment confirmed.');
}
await finish(0);

import type { SystemKind } from './switch-nodes.js';

/**
 * The shell scripts the switch engine runs on a node. Each is a fixed text run as
 * `sh -c SCRIPT flakeflow ARG…`: values travel as positional arguments, never spliced into the text.
 */

/** How activation is asked for: the inputs `boot` and `dry-activate`, else a switch. */
export type ActivationAction = 'switch' | 'boot' | 'dry-activate';

/** The program in a configuration's toplevel that activates it, and whether it takes the action. */
export function activationProgram(kind: SystemKind): { path: string; takesAction: boolean } {
  return kind === 'nixos'
    ? { path: 'bin/switch-to-configuration', takesAction: true }
    : { path: 'activate', takesAction: false };
}

/**
 * Prints `running:<path>` for each pair of arguments (current-system link, profile): what the first
 * that exists points to, nothing after the colon on a fresh node.
 */
export const READ_RUNNING = `while [ "$#" -ge 2 ]; do
  if [ -e "$1" ]; then path=$(readlink -f "$1"); elif [ -e "$2" ]; then path=$(readlink -f "$2"); else path=; fi
  echo "running:$path"; shift 2
done`;

/**
 * The watchdog: waits for the activation to end (at most `limit` seconds), then `confirm` seconds
 * more; unless the confirmation marker exists by then, it sets the profile back to the previous
 * generation, drops the new one and activates the previous system.
 * Arguments: nix-env, profile, previous generation, new generation, marker, confirm, limit,
 * activation program, its action (empty for activate scripts).
 */
export const WATCHDOG = `nixenv=$1 profile=$2 previous=$3 new=$4 marker=$5 confirm=$6 limit=$7 program=$8 action=$9
waited=0
while [ ! -e "$marker" ] && [ ! -e "$marker.activated" ] && [ "$waited" -lt "$limit" ]; do
  sleep 1; waited=$((waited + 1))
done
[ -e "$marker" ] || sleep "$confirm"
if [ -e "$marker" ]; then rm -f "$marker" "$marker.activated" "$marker.log"; exit 0; fi
echo "flakeflow: no confirmation within \${confirm}s: rolling back to generation $previous"
"$nixenv" -p "$profile" --switch-generation "$previous"
"$nixenv" -p "$profile" --delete-generations "$new"
"$profile/$program" $action
rm -f "$marker.activated"`;

/**
 * One activation on the node; `activateArgs` gives its arguments.
 * Prints `flakeflow-generation: <previous> <new>` before activating and exits 0 when activation
 * succeeded, 92 when it failed and the node is back on the previous generation, 93 when it failed
 * and stays on the new one, 90/91 when nothing was activated. The marker's files exist only while a
 * watchdog is armed, which removes them (its log too) once confirmed.
 */
export const ACTIVATE = `profile=$1 new=$2 action=$3 marker=$4 confirm=$5 limit=$6 magic=$7 auto=$8 program=$9
shift 9; takes=$1 watchdog=$2 systemd=$3
arg=; [ "$takes" = yes ] && arg=$action
nixenv=$(command -v nix-env) || { echo "flakeflow: nix-env is not on PATH" >&2; exit 90; }
bounded() { if command -v timeout >/dev/null 2>&1; then timeout "$limit" "$@"; else "$@"; fi; }
generation() { link=$(readlink "$profile" 2>/dev/null) || return 0; link=\${link%-link}; link=\${link##*-}; case $link in ''|*[!0-9]*) ;; *) echo "$link" ;; esac; }
if [ "$action" = dry-activate ]; then
  echo "flakeflow-generation: $(generation) -"
  bounded "$new/$program" $arg; status=$?
  [ "$status" = 0 ] || exit 93
  exit 0
fi
previous=$(generation)
"$nixenv" -p "$profile" --set "$new" || exit 91
current=$(generation)
echo "flakeflow-generation: \${previous:--} \${current:--}"
restore=; if [ "$takes" = yes ]; then restore=switch; [ "$action" = boot ] && restore=boot; fi
armed=
if [ "$magic" = yes ] && [ -n "$previous" ] && [ "$action" != boot ]; then
  rm -f "$marker" "$marker.activated"; armed=yes
  if [ -d "$systemd" ] && command -v systemd-run >/dev/null 2>&1; then
    systemd-run --quiet --collect --unit="flakeflow-watchdog-\${marker##*/}" --description="flakeflow rollback unless confirmed" \\
      /bin/sh -c "$watchdog" flakeflow-watchdog "$nixenv" "$profile" "$previous" "$current" "$marker" "$confirm" "$limit" "$program" "$restore" || exit 91
    echo "flakeflow: watchdog armed as systemd unit flakeflow-watchdog-\${marker##*/}"
  else
    setsid nohup /bin/sh -c "$watchdog" flakeflow-watchdog "$nixenv" "$profile" "$previous" "$current" "$marker" "$confirm" "$limit" "$program" "$restore" \\
      >"$marker.log" 2>&1 </dev/null &
    echo "flakeflow: watchdog armed as process $!"
  fi
fi
echo "flakeflow: activating $new ($action)"
bounded "$new/$program" $arg; status=$?
if [ "$status" = 0 ]; then [ -z "$armed" ] || touch "$marker.activated"; exit 0; fi
echo "flakeflow: activation exited with status $status" >&2
if [ "$auto" = yes ] && [ -n "$previous" ]; then
  "$nixenv" -p "$profile" --switch-generation "$previous" && "$nixenv" -p "$profile" --delete-generations "$current"
  "$profile/$program" $restore
  [ -z "$armed" ] || touch "$marker"
  echo "flakeflow: rolled back to generation $previous" >&2
  exit 92
fi
[ -z "$armed" ] || touch "$marker"
exit 93`;

export interface ActivationRequest {
  profile: string;
  path: string;
  action: ActivationAction;
  /** The node-side path of the confirmation marker; unique per activation. */
  marker: string;
  confirmSeconds: number;
  limitSeconds: number;
  magicRollback: boolean;
  autoRollback: boolean;
  kind: SystemKind;
  /** Where a node booted with systemd has a directory; tests point it elsewhere. */
  systemdDir?: string;
}

/** The positional arguments of ACTIVATE, in its order. */
export function activateArgs(request: ActivationRequest): string[] {
  const program = activationProgram(request.kind);
  const yes = (flag: boolean) => (flag ? 'yes' : 'no');
  return [
    request.profile,
    request.path,
    request.action,
    request.marker,
    String(request.confirmSeconds),
    String(request.limitSeconds),
    yes(request.magicRollback),
    yes(request.autoRollback),
    program.path,
    yes(program.takesAction),
    WATCHDOG,
    request.systemdDir ?? '/run/systemd/system',
  ];
}

/** Disarms the watchdog: only ever run over a NEW connection, after activation and health checks. */
export const CONFIRM = 'test -e "$1.activated" && touch "$1" && echo confirmed';

/**
 * The exact command a NixOS (systemd) node runs to arm its watchdog, for tests and the README: a
 * transient unit outside the SSH session's scope, so neither the session ending nor the switch
 * restarting units stops it.
 */
export function systemdWatchdogArgv(marker: string, args: readonly string[]): string[] {
  const unit = `flakeflow-watchdog-${marker.split('/').pop()}`;
  return [
    'systemd-run',
    '--quiet',
    '--collect',
    `--unit=${unit}`,
    '--description=flakeflow rollback unless confirmed',
    '/bin/sh',
    '-c',
    WATCHDOG,
    'flakeflow-watchdog',
    ...args,
  ];
}

/** `word` quoted for a POSIX shell: ssh joins its command arguments into one string. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The remote command line of `sh -c script` with its arguments, with sudo for a non-root user. */
export function remoteCommand(script: string, args: readonly string[], asRoot: boolean): string {
  const argv = [...(asRoot ? [] : ['sudo', '-n']), 'sh', '-c', script, 'flakeflow', ...args];
  return argv.map(shellWord).join(' ');
}

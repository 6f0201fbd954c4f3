const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Tools colour their output even into a pipe (statix always, deadnix without NO_COLOR, deploy-rs's levels). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

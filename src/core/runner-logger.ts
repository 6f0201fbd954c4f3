import * as core from '@actions/core';
import type { StateStore } from './action.js';
import { type Logger, SecretMasker } from './logger.js';

// Apart from runtime.ts so that the post step, which needs only these, does not carry the input parsing.

/** A Logger over the runner's log: groups fold, masks become `::add-mask::`. */
export class RunnerLogger implements Logger {
  readonly secrets = new SecretMasker();

  debug(message: string): void {
    core.debug(this.secrets.redact(message));
  }
  info(message: string): void {
    core.info(this.secrets.redact(message));
  }
  warning(message: string): void {
    core.warning(this.secrets.redact(message));
  }
  error(message: string): void {
    core.error(this.secrets.redact(message));
  }
  group<T>(title: string, body: () => Promise<T>): Promise<T> {
    return core.group(this.secrets.redact(title), body);
  }
  mask(secret: string): void {
    core.setSecret(secret);
    this.secrets.add(secret);
  }
}

export const runnerState: StateStore = {
  save: (name, value) => core.saveState(name, value),
  read: (name) => core.getState(name) || undefined,
};

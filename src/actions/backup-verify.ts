import { backupVerifyInputs } from '../backup/inputs.js';
import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';

export const backupVerifyAction = defineAction({
  name: 'backup-verify',
  inputs: backupVerifyInputs,
  outputs: ['healthy', 'report', 'failures'],
  async run() {
    throw new NotImplementedError('backup-verify', 7);
  },
});

import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';
import { deployInputs } from '../deploy/inputs.js';

export const deployAction = defineAction({
  name: 'deploy',
  inputs: deployInputs,
  outputs: ['result', 'deployed', 'failed', 'report'],
  async run() {
    throw new NotImplementedError('deploy', 6);
  },
});

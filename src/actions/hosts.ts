import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';
import { hostsInputs } from '../hosts/inputs.js';

export const hostsAction = defineAction({
  name: 'hosts',
  inputs: hostsInputs,
  outputs: ['matrix', 'hosts', 'count', 'empty'],
  async run() {
    throw new NotImplementedError('hosts', 3);
  },
});

import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';
import { lockUpdateInputs } from '../lock/inputs.js';

export const lockUpdateAction = defineAction({
  name: 'lock-update',
  inputs: lockUpdateInputs,
  outputs: [
    'changed',
    'updated-inputs',
    'pull-request-number',
    'pull-request-url',
    'pull-request-operation',
    'pull-requests',
    'body',
  ],
  async run() {
    throw new NotImplementedError('lock-update', 5);
  },
});

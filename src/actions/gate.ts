import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';
import { gateInputs } from '../gate/inputs.js';

export const gateAction = defineAction({
  name: 'gate',
  inputs: gateInputs,
  outputs: ['passed', 'findings', 'report', 'unformatted'],
  async run() {
    throw new NotImplementedError('gate', 4);
  },
});

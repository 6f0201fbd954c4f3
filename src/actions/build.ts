import { buildInputs } from '../build/inputs.js';
import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';

export const buildAction = defineAction({
  name: 'build',
  inputs: buildInputs,
  outputs: ['out-path', 'drv-path', 'closure-size', 'result-file'],
  async run() {
    throw new NotImplementedError('build', 3);
  },
});

import { defineAction } from '../core/action.js';
import { NotImplementedError } from '../core/errors.js';
import { reportInputs } from '../report/inputs.js';

export const reportAction = defineAction({
  name: 'report',
  inputs: reportInputs,
  outputs: ['passed', 'failed', 'comment-url', 'summary'],
  async run() {
    throw new NotImplementedError('report', 3);
  },
});

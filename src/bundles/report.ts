import { reportAction } from '../actions/report.js';
import { runAction } from '../core/runtime.js';

void runAction(reportAction);

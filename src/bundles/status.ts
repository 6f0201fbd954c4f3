import { statusAction } from '../actions/status.js';
import { runAction } from '../core/runtime.js';

void runAction(statusAction);

import { buildAction } from '../actions/build.js';
import { runAction } from '../core/runtime.js';

void runAction(buildAction);

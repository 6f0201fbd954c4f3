import { gateAction } from '../actions/gate.js';
import { runAction } from '../core/runtime.js';

void runAction(gateAction);

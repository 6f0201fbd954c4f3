import { lockUpdateAction } from '../actions/lock-update.js';
import { runAction } from '../core/runtime.js';

void runAction(lockUpdateAction);

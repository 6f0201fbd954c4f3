import { deployAction } from '../actions/deploy.js';
import { runAction } from '../core/runtime.js';

void runAction(deployAction);

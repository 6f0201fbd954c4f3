import { hostsAction } from '../actions/hosts.js';
import { runAction } from '../core/runtime.js';

void runAction(hostsAction);

import { backupVerifyAction } from '../actions/backup-verify.js';
import { runAction } from '../core/runtime.js';

void runAction(backupVerifyAction);

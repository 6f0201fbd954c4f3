import { actionsHandlers } from './actions.js';
import type { RestHandlers } from './call.js';
import { checkHandlers } from './checks.js';
import { deploymentHandlers } from './deployments.js';
import { gitHandlers } from './git.js';
import { issueHandlers } from './issues.js';
import { pullHandlers } from './pulls.js';
import { repoHandlers } from './repos.js';
import { reviewHandlers } from './reviews.js';

/** Every REST operation the fake implements, by GitHub's operationId. */
export const restHandlers: RestHandlers = {
  ...repoHandlers,
  ...gitHandlers,
  ...pullHandlers,
  ...reviewHandlers,
  ...issueHandlers,
  ...deploymentHandlers,
  ...checkHandlers,
  ...actionsHandlers,
};

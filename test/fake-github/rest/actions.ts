import { GitHubError, notFound, unprocessable } from '../state/errors.js';
import { noContent, type RestHandlers } from './call.js';

/** `workflow_dispatch` inputs on github.com. */
export const MAX_DISPATCH_INPUTS = 25;

/** Workflow dispatches, recorded on the repository for tests to inspect. */
export const actionsHandlers: RestHandlers = {
  'actions/create-workflow-dispatch': (call) => {
    const workflowId = call.params.workflow_id as string;
    const { ref, inputs = {} } = call.body as { ref: string; inputs?: Record<string, unknown> };
    const repo = call.repo;
    const sha = repo.git.resolveCommit(ref);
    if (!sha) throw unprocessable(`No ref found for: ${ref}`);
    // A workflow is named by file name (or path); the file must exist at the ref being dispatched.
    const path = workflowId.includes('/') ? workflowId : `.github/workflows/${workflowId}`;
    const workflow = /^\d+$/.test(workflowId) ? '' : repo.readFile(sha, path);
    if (workflow === undefined) throw notFound();
    if (workflow !== '' && !/\bworkflow_dispatch\b/.test(workflow)) {
      throw unprocessable("Workflow does not have 'workflow_dispatch' trigger");
    }
    if (Object.keys(inputs).length > MAX_DISPATCH_INPUTS) {
      throw new GitHubError(
        422,
        `you may only define up to ${MAX_DISPATCH_INPUTS} \`inputs\` for a \`workflow_dispatch\` event`,
      );
    }
    repo.workflowDispatches.push({ workflowId, ref, inputs, actor: call.state.actor, at: call.state.now() });
    return noContent();
  },
};

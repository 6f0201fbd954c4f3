// Types of scripts/docs.mjs, for the test that keeps README.md in step with action.yml.

export interface ActionDocument {
  name: string;
  manifest: {
    description?: string;
    inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
    outputs?: Record<string, { description?: string }>;
  };
}

export interface WorkflowDocument {
  file: string;
  workflow: { on: { workflow_call?: Record<string, unknown> } };
}

export function readActionManifests(root: string): Promise<ActionDocument[]>;
export function readReusableWorkflows(root: string): Promise<WorkflowDocument[]>;
export function renderAction(action: ActionDocument): string;
export function renderWorkflow(workflow: WorkflowDocument): string;
export function renderActionsPart(root: string): Promise<string>;
export function renderWorkflowsPart(root: string): Promise<string>;
export function replacePart(readme: string, part: string, content: string): string;
export function renderReadme(root: string): Promise<string>;

import { defineAction } from '../core/action.js';
import { loadGitHubClient } from '../core/github-loader.js';
import { SpawnProcessRunner } from '../core/process.js';
import { findingAnnotation } from '../gate/annotations.js';
import { runGate } from '../gate/gate.js';
import { gateInputs } from '../gate/inputs.js';
import { renderSummary } from '../gate/summary.js';

export const gateAction = defineAction({
  name: 'gate',
  inputs: gateInputs,
  outputs: ['passed', 'findings', 'report', 'unformatted'],
  pathInputs: ['path', 'statix-config'],
  keepsForksOffSelfHosted: true,
  async run(settings, { context, logger, signal }) {
    const publishes = settings['check-run'] || settings.suggestions;
    const result = await runGate(settings, context, {
      runner: new SpawnProcessRunner(logger),
      logger,
      env: { PATH: process.env.PATH },
      signal,
      ...(publishes
        ? {
            github: await loadGitHubClient({
              token: settings.token,
              apiUrl: context.apiUrl,
              ...(context.graphqlUrl ? { graphqlUrl: context.graphqlUrl } : {}),
              logger,
            }),
          }
        : {}),
    });
    return {
      outputs: {
        passed: String(result.passed),
        findings: String(result.findings.length),
        report: result.reportPath,
        unformatted: JSON.stringify(result.unformatted),
      },
      summary: renderSummary(result, context, { annotated: settings.annotations }),
      annotations: settings.annotations ? result.findings.map(findingAnnotation) : [],
      ...(result.failure ? { failure: result.failure } : {}),
    };
  },
});

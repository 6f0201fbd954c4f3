import { defineAction } from '../core/action.js';
import { loadRunGitHubClient } from '../core/github-loader.js';
import { findingAnnotation } from '../gate/annotations.js';
import { runGate } from '../gate/gate.js';
import { gateInputs } from '../gate/inputs.js';
import { renderSummary } from '../gate/summary.js';
import { nixAccessSettings } from '../nix/access-inputs.js';
import { withNixRunner } from './nix-runner.js';
import { stepCacheAccess } from './step-environment.js';

export const gateAction = defineAction({
  name: 'gate',
  inputs: gateInputs,
  outputs: ['passed', 'findings', 'report', 'unformatted'],
  pathInputs: ['path', 'statix-config'],
  keepsForksOffSelfHosted: true,
  async run(settings, environment) {
    const { context, logger, signal } = environment;
    const publishes = settings['check-run'] || settings.suggestions;
    const github = publishes ? await loadRunGitHubClient(settings.token, context, logger) : undefined;
    const result = await withNixRunner(
      { ...nixAccessSettings(settings), ...stepCacheAccess(settings, environment.logger) },
      environment,
      (runner) =>
        runGate(settings, context, {
          runner,
          logger,
          env: { PATH: process.env.PATH },
          signal,
          ...(github ? { github } : {}),
        }),
    );
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

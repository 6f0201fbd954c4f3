import { bool, choice, defineInputs, githubToken, text } from '../core/inputs.js';

export const REPORT_FAIL_LEVELS = ['failure', 'never'] as const;

/** The `hosts` JSON is kept as text: its shape belongs to the hosts capability, which parses it. */
export const reportInputs = defineInputs({
  results: text({ rawDefault: 'flakeflow-results' }),
  hosts: text(),
  comment: bool({ rawDefault: 'true' }),
  token: githubToken(),
  'fail-on': choice(REPORT_FAIL_LEVELS, { rawDefault: 'failure' }),
  'allow-untrusted-on-self-hosted': bool({ rawDefault: 'false' }),
});

import { parseInputs } from '../../src/core/inputs.js';
import { type StatusSettings, statusInputs } from '../../src/status/inputs.js';

/** Settings parsed from raw inputs exactly as the runner would pass them. */
export function statusSettings(inputs: Record<string, string>): StatusSettings {
  return parseInputs(statusInputs, (name) => inputs[name]);
}

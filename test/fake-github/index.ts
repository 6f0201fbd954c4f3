export { type GitHubContract, loadGitHubContract } from './contract.js';
export { type EventName, type EventPatch, eventPayload } from './events.js';
export {
  type FaultSpec,
  type InjectedFault,
  PRIMARY_RATE_LIMIT_MESSAGE,
  SECONDARY_RATE_LIMIT_MESSAGE,
} from './faults.js';
export {
  type ContractViolation,
  FakeGitHub,
  type FakeGitHubOptions,
  type RecordedRequest,
  type RequestFilter,
  startFakeGitHub,
  type ViolationKind,
} from './server.js';
export { GitHubError } from './state/errors.js';
export type { FileTree } from './state/git.js';
export type * from './state/records.js';
export type { FakeRepository, IssueSeed, PullRequestSeed, RepositorySeed } from './state/repository.js';
export { FakeState, GITHUB_ACTIONS_BOT } from './state/state.js';
export { clientFor, FAKE_TOKEN, type FakeGitHubFixture, useFakeGitHub } from './testing.js';
export { removeOctokitWriteSpacing } from './write-spacing.js';

import { createRequire } from 'node:module';

interface BottleneckGroup {
  limiterOptions: { minTime?: number };
  key(id?: string): unknown;
}

interface BottleneckLight {
  Group: { prototype: BottleneckGroup };
}

const require = createRequire(import.meta.url);
let removed = false;

/**
 * `@octokit/plugin-throttling` starts writes at least 1 s apart (3 s for writes that notify people,
 * such as opening a pull request), in limiter groups shared by the whole process. Against github.com
 * that is courtesy; against a local fake it is minutes of idle waiting per suite. This drops the
 * spacing in the calling process only. Rate-limit answers (403/429 with `retry-after` or
 * `x-ratelimit-remaining: 0`) are still throttled and retried as in production: that path runs
 * through the plugin's retry limiter, not through this spacing.
 *
 * `createGitHubClient` has no option for the spacing; if it gains one, this shim should go.
 */
export function removeOctokitWriteSpacing(): void {
  if (removed) return;
  removed = true;
  // The same module instance the plugin imports: Node shares one CommonJS cache.
  const group = (require('bottleneck/light.js') as BottleneckLight).Group.prototype;
  const key = group.key;
  group.key = function keyWithoutSpacing(this: BottleneckGroup, id?: string) {
    this.limiterOptions.minTime = 0;
    return key.call(this, id);
  };
}

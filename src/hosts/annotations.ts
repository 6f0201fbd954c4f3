import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Annotation } from '../core/annotations.js';
import { KIND_TITLES } from './host.js';
import type { HostEntry } from './matrix.js';

/** `at /nix/store/<hash>-source/hosts/pi/default.nix:9:25`: where Nix's error points inside the flake. */
const SOURCE_POSITION = /\/nix\/store\/[0-9a-z]{32}-source\/([^\s:]+):(\d+):(\d+)/;

/** One error annotation per host that failed, pinned to the file Nix blames when it is in the flake. */
export function failureAnnotations(
  hosts: readonly HostEntry[],
  flakeDir: string,
  workspace: string,
): Annotation[] {
  return hosts
    .filter((host) => host.status === 'failed')
    .map((host) => {
      const annotation: Annotation = {
        level: 'error',
        title: `${host.host} (${KIND_TITLES[host.kind]}): ${host.reason}`,
        message: host.error ?? host.reason,
      };
      const position = SOURCE_POSITION.exec(host.error ?? '');
      if (position && existsSync(join(flakeDir, position[1] as string))) {
        annotation.file = relative(workspace, join(flakeDir, position[1] as string))
          .split('\\')
          .join('/');
        annotation.line = Number(position[2]);
        annotation.column = Number(position[3]);
      }
      return annotation;
    });
}

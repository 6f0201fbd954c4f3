import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { inputPath } from '../../src/core/workspace.js';
import { makeTempDir, removeTempDir } from '../support/nix.js';

let root: string;
let workspace: string;

beforeAll(async () => {
  root = await makeTempDir('hardening-workspace');
  workspace = join(root, 'checkout');
  await mkdir(join(workspace, 'fleet'), { recursive: true });
  await mkdir(join(workspace, '..fleet'), { recursive: true });
  await mkdir(join(root, 'elsewhere'), { recursive: true });
  await symlink(join(root, 'elsewhere'), join(workspace, 'out'));
  await symlink(join(workspace, 'fleet'), join(workspace, 'alias'));
});
afterAll(() => removeTempDir(root));

describe('inputPath: the workflow file is the trust boundary', () => {
  it.each([
    ['.', ''],
    ['fleet', 'fleet'],
    ['./fleet/../fleet', 'fleet'],
    ['..fleet', '..fleet'],
    ['alias', 'alias'],
    ['not-there-yet', 'not-there-yet'],
  ])('resolves the relative %s in the checkout', (value, relative) => {
    expect(inputPath(workspace, 'path', value)).toBe(join(workspace, relative));
  });

  it.each([
    ['/etc/svc/services.json', '/etc/svc/services.json'],
    ['/run/secrets/backups/restic/password', '/run/secrets/backups/restic/password'],
    ['/etc/../etc/flakeflow/backups.yml', '/etc/flakeflow/backups.yml'],
  ])('reads the absolute %s where the workflow wrote it', (value, resolved) => {
    expect(inputPath(workspace, 'services-json', value)).toBe(resolved);
  });

  it('reads an absolute path into the checkout as written, too', () => {
    expect(inputPath(workspace, 'path', join(workspace, 'fleet'))).toBe(join(workspace, 'fleet'));
  });

  it.each(['..', '../elsewhere', 'fleet/../../elsewhere', 'out', 'out/more'])(
    'refuses the relative %s, which leads out of the checkout',
    (value) => {
      expect(() => inputPath(workspace, 'path', value)).toThrow(
        new UserError(
          `Input 'path' must be an absolute path or a path inside the workspace (${workspace}), got '${value}'`,
        ),
      );
    },
  );
});

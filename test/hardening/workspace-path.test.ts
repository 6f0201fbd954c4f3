import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { workspacePath } from '../../src/core/workspace.js';
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

describe('workspacePath', () => {
  it.each([
    ['.', ''],
    ['fleet', 'fleet'],
    ['./fleet/../fleet', 'fleet'],
    ['..fleet', '..fleet'],
    ['alias', 'alias'],
    ['not-there-yet', 'not-there-yet'],
  ])('accepts %s inside the checkout', (value, relative) => {
    expect(workspacePath(workspace, 'path', value)).toBe(join(workspace, relative));
  });

  it('accepts an absolute path inside the checkout', () => {
    expect(workspacePath(workspace, 'path', join(workspace, 'fleet'))).toBe(join(workspace, 'fleet'));
  });

  it.each(['..', '../elsewhere', 'fleet/../../elsewhere', '/etc', 'out', 'out/more'])(
    'refuses %s, which leads outside',
    (value) => {
      expect(() => workspacePath(workspace, 'path', value)).toThrow(
        new UserError(`Input 'path' must be a path inside the workspace (${workspace}), got '${value}'`),
      );
    },
  );
});

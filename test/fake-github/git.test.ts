import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitDatabase } from './state/git.js';
import { useFakeGitHub } from './testing.js';

const github = useFakeGitHub({
  repositories: [{ slug: 'fleet/infra', files: { 'flake.nix': '{ }\n', 'hosts/web.nix': 'web\n' } }],
  validateResponses: true,
});
const target = { owner: 'fleet', repo: 'infra' };

describe('repository and contents', () => {
  it('describes the repository with its merge settings', async () => {
    github.server.repo('fleet/infra').settings.allowAutoMerge = true;
    const { data } = await github.client.rest.repos.get(target);
    expect(data).toMatchObject({ full_name: 'fleet/infra', default_branch: 'main', allow_auto_merge: true });
    expect(data.node_id).toBe(github.server.repo('fleet/infra').nodeId);
  });

  it('reads files and directories at a ref, and 404s a missing path', async () => {
    const repo = github.server.repo('fleet/infra');
    repo.seedBranch('update', { 'flake.lock': '{"version":7}\n' });
    const { data: file } = await github.client.rest.repos.getContent({
      ...target,
      path: 'flake.lock',
      ref: 'update',
    });
    if (Array.isArray(file) || file.type !== 'file') throw new Error('expected a file');
    expect(Buffer.from(file.content, 'base64').toString()).toBe('{"version":7}\n');
    const { data: dir } = await github.client.rest.repos.getContent({ ...target, path: 'hosts' });
    expect(Array.isArray(dir) && dir.map((entry) => entry.path)).toEqual(['hosts/web.nix']);
    const { data: root } = await github.client.rest.repos.getContent({ ...target, path: '' });
    expect(Array.isArray(root) && root.map((entry) => [entry.path, entry.type])).toEqual([
      ['flake.nix', 'file'],
      ['hosts', 'dir'],
    ]);
    await expect(
      github.client.rest.repos.getContent({ ...target, path: 'flake.lock' }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it('shows a commit with its files, and compares branches', async () => {
    const repo = github.server.repo('fleet/infra');
    const sha = repo.seedBranch('update', { 'flake.lock': 'a\nb\n', 'hosts/web.nix': 'web2\n' });
    const { data: commit } = await github.client.rest.repos.getCommit({ ...target, ref: 'update' });
    expect(commit.sha).toBe(sha);
    expect(commit.files?.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
      ['flake.lock', 'added', 2, 0],
      ['hosts/web.nix', 'modified', 1, 1],
    ]);
    repo.commitFiles('main', { files: { 'README.md': 'changed\n' } });
    const { data: comparison } = await github.client.rest.repos.compareCommitsWithBasehead({
      ...target,
      basehead: 'main...update',
    });
    expect(comparison).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1, total_commits: 1 });
    expect(comparison.commits.map((c) => c.sha)).toEqual([sha]);
  });
});

describe('git database', () => {
  it('builds a commit from blobs and trees, then moves a branch to it', async () => {
    const repo = github.server.repo('fleet/infra');
    const git = github.client.rest.git;
    const main = repo.branch('main') as string;
    const { data: blob } = await git.createBlob({
      ...target,
      content: Buffer.from('lock').toString('base64'),
      encoding: 'base64',
    });
    const { data: tree } = await git.createTree({
      ...target,
      base_tree: main,
      tree: [
        { path: 'locks/flake.lock', mode: '100644', type: 'blob', sha: blob.sha },
        { path: 'hosts/web.nix', mode: '100644', type: 'blob', sha: null },
      ],
    });
    const { data: commit } = await git.createCommit({
      ...target,
      message: 'Update lock',
      tree: tree.sha,
      parents: [main],
    });
    expect(commit.verification?.verified).toBe(true);
    await git.createRef({ ...target, ref: 'refs/heads/lock-update', sha: main });
    const { data: moved } = await git.updateRef({ ...target, ref: 'heads/lock-update', sha: commit.sha });
    expect(moved.object.sha).toBe(commit.sha);
    expect(repo.files('lock-update')).toEqual({ 'flake.nix': '{ }\n', 'locks/flake.lock': 'lock' });

    const { data: recursive } = await git.getTree({ ...target, tree_sha: tree.sha, recursive: 'true' });
    expect(recursive.tree.map((e) => e.path)).toEqual(['flake.nix', 'locks', 'locks/flake.lock']);
    const { data: read } = await git.getBlob({ ...target, file_sha: blob.sha });
    expect(Buffer.from(read.content, 'base64').toString()).toBe('lock');
    const { data: ref } = await git.getRef({ ...target, ref: 'heads/lock-update' });
    expect(ref.object.sha).toBe(commit.sha);
    const { data: matching } = await git.listMatchingRefs({ ...target, ref: 'heads/lock' });
    expect(matching.map((r) => r.ref)).toEqual(['refs/heads/lock-update']);
    const { data: readCommit } = await git.getCommit({ ...target, commit_sha: commit.sha });
    expect(readCommit.parents.map((p) => p.sha)).toEqual([main]);
  });

  it('refuses a non-fast-forward update and an existing ref, then deletes a ref', async () => {
    const repo = github.server.repo('fleet/infra');
    const old = repo.branch('main') as string;
    repo.seedBranch('feature', { 'a.nix': 'a\n' });
    const git = github.client.rest.git;
    await expect(git.updateRef({ ...target, ref: 'heads/feature', sha: old })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('Update is not a fast forward'),
    });
    await expect(git.createRef({ ...target, ref: 'refs/heads/feature', sha: old })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('Reference already exists'),
    });
    await git.deleteRef({ ...target, ref: 'heads/feature' });
    expect(repo.branch('feature')).toBeUndefined();
    await expect(git.getRef({ ...target, ref: 'heads/feature' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('object ids', () => {
  it('computes the same blob, tree and commit SHAs as git', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-github-git-'));
    try {
      const run = (...args: string[]) =>
        execFileSync('git', args, {
          cwd: dir,
          encoding: 'utf8',
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: 'A',
            GIT_AUTHOR_EMAIL: 'a@example.com',
            GIT_AUTHOR_DATE: '1700000000 +0000',
            GIT_COMMITTER_NAME: 'C',
            GIT_COMMITTER_EMAIL: 'c@example.com',
            GIT_COMMITTER_DATE: '1700000000 +0000',
          },
        }).trim();
      run('init', '-q');
      const files = {
        'flake.nix': '{ }\n',
        'hosts/web.nix': 'web\n',
        'hosts-a.nix': 'x\n',
        'hosts.txt': 't\n',
      };
      execFileSync('mkdir', ['-p', join(dir, 'hosts')]);
      for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
      run('add', '.');
      const gitTree = run('write-tree');
      const gitCommit = run('commit-tree', gitTree, '-m', 'Initial');

      const db = new GitDatabase();
      const tree = db.writeFiles(db.writeFileTree(files));
      const date = new Date(1_700_000_000_000);
      const commit = db.writeCommit({
        tree,
        parents: [],
        message: 'Initial\n',
        author: { name: 'A', email: 'a@example.com', date },
        committer: { name: 'C', email: 'c@example.com', date },
        verified: false,
      });
      expect(db.writeBlob('web\n')).toBe(run('hash-object', 'hosts/web.nix'));
      expect(tree).toBe(gitTree);
      expect(commit).toBe(gitCommit);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

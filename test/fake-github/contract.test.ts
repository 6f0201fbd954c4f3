import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadGitHubContract } from './contract.js';
import { startFakeGitHub } from './server.js';
import { clientFor, FAKE_TOKEN, useFakeGitHub } from './testing.js';

const github = useFakeGitHub({ repositories: ['fleet/infra'] });
const target = { owner: 'fleet', repo: 'infra' };

describe('REST requests GitHub would reject', () => {
  it('answers a body missing a required field with 422 and the validator’s message', async () => {
    github.server.repo('fleet/infra').seedBranch('lock-update', { 'flake.lock': '{}\n' });
    const body = { ...target, base: 'main', title: 'no head' } as unknown as Parameters<
      typeof github.client.rest.pulls.create
    >[0];
    await expect(github.client.rest.pulls.create(body)).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("requestBody must have required property 'head'"),
    });
    expect(github.server.takeViolations()).toEqual([
      {
        kind: 'invalid-request',
        method: 'POST',
        path: '/repos/fleet/infra/pulls',
        operationId: 'pulls/create',
        messages: ["requestBody must have required property 'head'"],
      },
    ]);
    expect(github.server.repo('fleet/infra').pullRequests()).toEqual([]);
  });

  it('answers a bad enum value in the query with 422', async () => {
    const state = 'merged' as 'open';
    await expect(github.client.rest.pulls.list({ ...target, state })).rejects.toMatchObject({ status: 422 });
    expect(github.server.takeViolations()[0]?.messages).toEqual([
      'query/state must be equal to one of the allowed values: open, closed, all',
    ]);
  });

  it('answers a malformed path parameter and an unknown route with 404', async () => {
    await expect(
      github.client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...target,
        pull_number: 'abc' as unknown as number,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(github.client.request('GET /repos/{owner}/{repo}/flakes', target)).rejects.toMatchObject({
      status: 404,
    });
    expect(github.server.takeViolations().map((v) => [v.kind, v.messages])).toEqual([
      ['invalid-request', ['path/pull_number must be integer']],
      ['unknown-route', ['GitHub has no GET /repos/fleet/infra/flakes']],
    ]);
  });

  it('names an operation GitHub has but the fake does not implement', async () => {
    await expect(github.client.rest.repos.listReleases(target)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('does not implement repos/list-releases'),
    });
    expect(github.server.takeViolations()).toMatchObject([
      { kind: 'not-implemented', operationId: 'repos/list-releases' },
    ]);
  });

  it('makes assertNoViolations fail the test, listing each violation', async () => {
    await github.client.request('GET /repos/{owner}/{repo}/flakes', target).catch(() => undefined);
    expect(() => github.server.assertNoViolations()).toThrow(
      /\[unknown-route\] GET \/repos\/fleet\/infra\/flakes/,
    );
    expect(github.server.violations).toEqual([]);
  });
});

describe('GraphQL documents GitHub would reject', () => {
  it('rejects a field that does not exist in GitHub’s schema', async () => {
    await expect(
      github.client.graphql('query { repository(owner: "fleet", name: "infra") { autoMergeEnabled } }'),
    ).rejects.toMatchObject({
      errors: [
        {
          message:
            'Cannot query field "autoMergeEnabled" on type "Repository". Did you mean "autoMergeAllowed"?',
        },
      ],
    });
    expect(github.server.takeViolations()).toMatchObject([{ kind: 'invalid-graphql' }]);
  });

  it('rejects a variable of the wrong type', async () => {
    await expect(
      github.client.graphql(
        'query($number: Int!) { repository(owner: "fleet", name: "infra") { pullRequest(number: $number) { id } } }',
        {
          number: 'one',
        },
      ),
    ).rejects.toMatchObject({
      errors: [
        {
          message:
            'Variable "$number" got invalid value "one"; Int cannot represent non-integer value: "one"',
        },
      ],
    });
    expect(github.server.takeViolations()).toMatchObject([{ kind: 'invalid-graphql' }]);
  });

  it('reports a real field the fake does not model as a gap, not as null', async () => {
    await expect(
      github.client.graphql('query { repository(owner: "fleet", name: "infra") { stargazerCount } }'),
    ).rejects.toMatchObject({
      errors: [{ message: 'the fake GitHub does not implement Repository.stargazerCount' }],
    });
    expect(github.server.takeViolations()).toMatchObject([{ kind: 'not-implemented' }]);
  });

  it('applies GitHub’s pagination rule to connections', async () => {
    await expect(
      github.client.graphql('query { repository(owner: "fleet", name: "infra") { labels { totalCount } } }'),
    ).rejects.toMatchObject({
      errors: [
        {
          message: 'You must provide a `first` or `last` value to properly paginate the `labels` connection.',
        },
      ],
    });
  });
});

describe('responses and recording', () => {
  it('catches a response that lacks fields GitHub documents', async () => {
    const contract = await loadGitHubContract();
    expect(contract.checkResponse('pulls/get', 200, { number: 1 })).toContain(
      "value must have required property '_links'",
    );
    expect(
      contract.checkResponse('issues/get-label', 200, {
        id: 1,
        node_id: 'x',
        url: 'https://x',
        name: 'a',
        color: 'fff',
        default: false,
        description: null,
      }),
    ).toEqual([]);
  });

  it('records method, path, query, body and authorization of every request', async () => {
    await github.client.rest.issues.create({ ...target, title: 'hello', labels: ['a'] });
    await github.client.rest.pulls.list({ ...target, state: 'all', per_page: 5 });
    const [create, list] = github.server.requests;
    expect(create).toMatchObject({
      method: 'POST',
      path: '/repos/fleet/infra/issues',
      operationId: 'issues/create',
      body: { title: 'hello', labels: ['a'] },
      headers: { authorization: `token ${FAKE_TOKEN}` },
      status: 201,
    });
    expect(list).toMatchObject({ method: 'GET', query: { state: 'all', per_page: '5' }, status: 200 });
  });

  it('answers 401 "Bad credentials" to a token it was not given', async () => {
    const server = await startFakeGitHub({ token: 'ghs_right', repositories: ['fleet/infra'] });
    try {
      const { client } = clientFor(server, { token: 'ghs_wrong' });
      await expect(client.rest.repos.get(target)).rejects.toMatchObject({
        status: 401,
        message: expect.stringContaining('Bad credentials'),
      });
    } finally {
      await server.close();
    }
  });
});

describe('use from a child process', () => {
  it('serves a process started by the test, e.g. an action run with GITHUB_API_URL', async () => {
    const script = `const r = await fetch(process.env.GITHUB_API_URL + '/repos/fleet/infra', { headers: { authorization: 'token child' } });
      console.log(r.status, (await r.json()).full_name);`;
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: { ...process.env, GITHUB_API_URL: github.server.url } },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(output.trim()).toBe('200 fleet/infra');
    expect(github.server.requests[0]?.headers.authorization).toBe('token child');
  });
});

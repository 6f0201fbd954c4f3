import { describe, expect, it } from 'vitest';
import { GITHUB_BODY_LIMIT } from '../../src/core/markdown.js';
import {
  BODY_MARKER,
  type BodyContext,
  formatDaysGained,
  renderPullRequestBody,
} from '../../src/lock/body.js';
import { commitMessage } from '../../src/lock/message.js';
import type { Verification } from '../../src/lock/update.js';
import { github, hugeUpdate, lockText, proposal, rev } from './lock-fixtures.js';

const oldText = lockText(
  { nixpkgs: 'nixpkgs', 'home-manager': 'home-manager', secrets: 'secrets' },
  {
    nixpkgs: github('NixOS', 'nixpkgs', rev('a'), 0),
    'home-manager': github('nix-community', 'home-manager', rev('c'), 0, {
      inputs: { nixpkgs: 'nixpkgs_2' },
    }),
    nixpkgs_2: github('NixOS', 'nixpkgs', rev('b'), 0),
    secrets: {
      flake: false,
      locked: { lastModified: 1_717_200_000, rev: rev('1'), type: 'git', url: 'file:///srv/secrets' },
      original: { type: 'git', url: 'file:///srv/secrets' },
    },
  },
);
const newText = lockText(
  { nixpkgs: 'nixpkgs', 'home-manager': 'home-manager', secrets: 'secrets' },
  {
    nixpkgs: github('NixOS', 'nixpkgs', rev('f'), 12),
    'home-manager': github('nix-community', 'home-manager', rev('c'), 0, {
      inputs: { nixpkgs: 'nixpkgs_2' },
    }),
    nixpkgs_2: github('NixOS', 'nixpkgs', rev('e'), 5),
    secrets: {
      flake: false,
      locked: { lastModified: 1_717_300_000, rev: rev('2'), type: 'git', url: 'file:///srv/secrets' },
      original: { type: 'git', url: 'file:///srv/secrets' },
    },
  },
);

const evaluated: Verification = {
  level: 'eval',
  hosts: [
    { host: 'media', kind: 'nixos', status: 'changed' },
    { host: 'gateway', kind: 'nixos', status: 'unchanged' },
    { host: 'laptop', kind: 'darwin', status: 'changed' },
  ],
};

function context(overrides: Partial<BodyContext> = {}): BodyContext {
  return {
    proposal: proposal(oldText, newText, evaluated),
    stale: [],
    flakePath: '.',
    runUrl: 'https://github.com/octo-org/homelab/actions/runs/7',
    ...overrides,
  };
}

describe('renderPullRequestBody', () => {
  const body = renderPullRequestBody(context());

  it('tables the direct inputs with short revs, dates, days gained and compare links', () => {
    expect(body).toContain('Updates 2 inputs and 1 input of inputs of the flake.');
    expect(body).toContain(
      `| **nixpkgs** (nixos-unstable) | \`aaaaaaa\` · 2024-06-01 | \`fffffff\` · 2024-06-13 | +12 | [compare](https://github.com/NixOS/nixpkgs/compare/${rev('a')}...${rev('f')}) |`,
    );
    // A git input on no known forge: plain revisions, no link.
    expect(body).toContain('| **secrets** | `1111111` · 2024-06-01 | `2222222` · 2024-06-02 | +1 |  |');
  });

  it('folds inputs of inputs into a collapsed details block', () => {
    expect(body).toContain('<details><summary>1 input of inputs updated</summary>');
    expect(body).toMatch(
      /\| `home-manager\/nixpkgs` \(nixos-unstable\) \| `bbbbbbb` · 2024-06-01 \| `eeeeeee` · 2024-06-06 \| \+5 \|/,
    );
  });

  it('names the hosts whose derivation changes', () => {
    expect(body).toContain('✅ All 3 hosts evaluate with this lock · 2 derivations change');
    expect(body).toContain('| `media` | NixOS | 🔄 changes |');
    expect(body).toContain('| `laptop` | nix-darwin | 🔄 changes |');
    expect(body).toContain('Unchanged: `gateway`');
  });

  it('ends with how to pause the updates, linking the run', () => {
    expect(body).toContain('[this workflow run](https://github.com/octo-org/homelab/actions/runs/7)');
    expect(body).toContain('To pause these updates, disable that workflow');
    expect(body.endsWith(BODY_MARKER)).toBe(true);
  });

  it('says so when hosts were not evaluated, and names the group and the flake path', () => {
    const text = renderPullRequestBody(
      context({
        proposal: proposal(oldText, newText, { level: 'none', hosts: [] }, 'nixpkgs'),
        flakePath: 'infra',
      }),
    );
    expect(text).toContain('of the flake in `infra` (group **nixpkgs**).');
    expect(text).toContain('Not evaluated (`verify: none`)');
  });

  it('leads with the failure and carries Nix’s error when a host breaks', () => {
    const failing: Verification = {
      level: 'eval',
      hosts: [
        { host: 'media', kind: 'nixos', status: 'changed' },
        {
          host: 'pi',
          kind: 'nixos',
          status: 'failed',
          error:
            "error: getting status of '/nix/store/x-source/authorized_keys/bob': No such file or directory",
        },
      ],
    };
    const text = renderPullRequestBody(context({ proposal: proposal(oldText, newText, failing) }));
    expect(text).toContain('> [!CAUTION]\n> This lock breaks `pi`');
    expect(text).toContain('❌ 1 host of 2 does not evaluate with this lock');
    expect(text).toContain('| `pi` | NixOS | ❌ does not evaluate |');
    expect(text).toContain("<details open><summary>Nix's error for <code>pi</code></summary>");
    expect(text).toContain("error: getting status of '/nix/store/x-source/authorized_keys/bob'");
  });

  it('lists stale inputs', () => {
    const text = renderPullRequestBody(
      context({
        stale: [
          {
            input: 'old',
            rev: rev('9'),
            date: '2023-04-28T00:00:00Z',
            ageDays: 430,
            url: 'https://x/commit',
          },
        ],
      }),
    );
    expect(text).toContain('### ⚠️ Stale inputs');
    expect(text).toContain('| `old` | [`9999999`](https://x/commit) | 2023-04-28 | 430 days |');
  });
});

describe('the 65,536-character limit', () => {
  it('keeps every direct input of a 300-input update, dropping detail until it fits', () => {
    const update = hugeUpdate(300, evaluated);
    expect(update.diff.direct).toHaveLength(300);
    expect(update.diff.transitive).toHaveLength(600);
    const text = renderPullRequestBody(context({ proposal: update }));
    expect(text.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    for (let index = 0; index < 300; index++)
      expect(text).toContain(`input-with-a-long-descriptive-name-${index}**`);
    expect(text).toContain('600 inputs of inputs also moved: too many to list here');
    expect(text).toContain('To pause these updates');
  });

  it('cuts rows, saying how many, when even the plainest table is too long', () => {
    const update = hugeUpdate(1000, evaluated);
    const text = renderPullRequestBody(context({ proposal: update }));
    expect(text.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    const shown = (text.match(/input-with-a-long-descriptive-name-\d+\*\*/g) ?? []).length;
    expect(shown).toBeGreaterThan(100);
    expect(text).toContain(`…and ${1000 - shown} more inputs: see flake.lock under Files changed.`);
    expect(text).toContain('To pause these updates');
  });

  it('honours a smaller limit too', () => {
    const text = renderPullRequestBody(context(), 1_500);
    expect(text.length).toBeLessThanOrEqual(1_500);
    expect(text).toContain('To pause these updates');
  });
});

describe('formatDaysGained', () => {
  it.each([
    [undefined, ''],
    [0, '+0'],
    [1, '+1'],
    [12, '+12'],
    [-3, '⚠️ -3'],
  ])('%s → %s', (days, text) => {
    expect(formatDaysGained(days)).toBe(text);
  });
});

describe('commitMessage', () => {
  it('lists each input as nix flake update does, with the group in the headline', () => {
    const update = proposal(oldText, newText, evaluated);
    expect(commitMessage('flake.lock: update', 'nixpkgs', update.diff)).toEqual({
      headline: 'flake.lock: update (nixpkgs)',
      body: [
        'Flake lock file updates:',
        '',
        "• Updated input 'nixpkgs': aaaaaaa (2024-06-01) → fffffff (2024-06-13)",
        "• Updated input 'secrets': 1111111 (2024-06-01) → 2222222 (2024-06-02)",
        "• Updated input 'home-manager/nixpkgs': bbbbbbb (2024-06-01) → eeeeeee (2024-06-06)",
      ].join('\n'),
    });
  });
});

describe('rows of shared nodes, follows and source switches', () => {
  /** Before: nixpkgs at a, systems on x86_64-linux; after: nixpkgs at f, systems on default-linux. */
  const shared = (nixpkgs: string, hooks: string) =>
    lockText(
      { nixpkgs: 'nixpkgs', hooks: 'hooks', systems: 'systems' },
      {
        nixpkgs: github('NixOS', 'nixpkgs', rev(nixpkgs), 0),
        hooks: github('cachix', 'git-hooks.nix', rev('c'), 0, { inputs: { nixpkgs: [hooks] } }),
        systems:
          nixpkgs === 'a'
            ? github('nix-systems', 'x86_64-linux', rev('1'), 0)
            : github('nix-systems', 'default-linux', rev('2'), 0),
      },
    );
  const text = renderPullRequestBody(
    context({ proposal: proposal(shared('a', 'nixpkgs'), shared('f', 'systems'), evaluated) }),
  );

  it('names the other paths of a moved node in its row, and says where a follows path now leads', () => {
    expect(text).toContain('Updates 2 inputs and 1 input of inputs of the flake.');
    expect(text).toContain(
      `| **nixpkgs** (nixos-unstable) | \`aaaaaaa\` · 2024-06-01 | \`fffffff\` · 2024-06-01 | +0 | [compare](https://github.com/NixOS/nixpkgs/compare/${rev('a')}...${rev('f')}) |`,
    );
    expect(text).toContain('`hooks/nixpkgs` now follows `systems`, was `nixpkgs`');
  });

  it('says a source changed and links each side instead of a compare view', () => {
    expect(text).toContain(
      '**systems** (nixos-unstable)<br>source changed from `github:nix-systems/x86_64-linux` to `github:nix-systems/default-linux`',
    );
    expect(text).toContain(
      `[before](https://github.com/nix-systems/x86_64-linux/commit/${rev('1')}) · [after](https://github.com/nix-systems/default-linux/commit/${rev('2')})`,
    );
  });
});

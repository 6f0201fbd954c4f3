import { describe, expect, it } from 'vitest';
import type { HostBuild } from '../../src/build/build-result.js';
import type { HostEntry } from '../../src/hosts/matrix.js';
import { renderReport } from '../../src/report/render.js';
import { type ReportRow, reportRows } from '../../src/report/rows.js';
import { REPORT_MARKER } from '../../src/report/sticky-comment.js';

const entry = (host: string, status: HostEntry['status'], extra: Partial<HostEntry> = {}): HostEntry => ({
  host,
  kind: 'nixos',
  status,
  reason: `${status} because`,
  system: 'x86_64-linux',
  ...extra,
});

describe('reportRows', () => {
  it('lists every host once: results for built hosts, a missing result as failed, the rest as the hosts job said', () => {
    const hosts = [
      entry('a', 'build'),
      entry('b', 'build'),
      entry('c', 'unchanged'),
      entry('d', 'cached'),
      entry('e', 'eval-only'),
      entry('f', 'failed', { reason: 'failed to evaluate', error: 'error: boom' }),
      entry('g', 'skipped'),
    ];
    const builds: HostBuild[] = [
      { host: 'a', status: 'built', closureSize: 100, system: 'x86_64-linux' },
      { host: 'z', status: 'failed', error: 'error: builder failed' },
    ];
    expect(reportRows(hosts, builds).map((row) => [row.host, row.status, row.note])).toEqual([
      ['a', 'built', ''],
      ['b', 'failed', 'no result: the build job failed early or was cancelled'],
      ['c', 'unchanged', 'unchanged because'],
      ['d', 'cached', 'cached because'],
      ['e', 'eval-only', 'eval-only because'],
      ['f', 'failed', 'failed to evaluate'],
      ['g', 'skipped', 'skipped because'],
      ['z', 'failed', 'build failed'],
    ]);
  });
});

function bigRow(host: string, packages: number): ReportRow {
  return {
    host,
    status: 'built',
    note: '',
    closureSize: 1_000_000,
    comparison: {
      revision: 'origin/main',
      status: 'compared',
      delta: 2048,
      changes: Array.from({ length: packages }, (_, index) => ({
        name: `${host}-package-with-a-long-name-${index}`,
        before: [`1.${index}`],
        after: [`2.${index}`],
        sizeDelta: 10_240,
      })),
      diff: '',
    },
  };
}

describe('renderReport', () => {
  it('renders the marker, the table and each diff collapsed', () => {
    const text = renderReport(
      [bigRow('pi', 2), { host: 'gw', status: 'failed', note: 'build failed', error: 'error: x' }],
      {
        limit: 65_536,
        marker: REPORT_MARKER,
        footer: '<sub>end</sub>',
      },
    );
    expect(text.startsWith(`${REPORT_MARKER}\n### ❌ Fleet build: 2 hosts`)).toBe(true);
    expect(text).toContain('**❌ 1 failed · ✅ 1 built**');
    expect(text).toContain('| `pi` |  | ✅ built | 976.6 KiB | +2.0 KiB | 2 packages changed |');
    expect(text).toContain(
      '<details><summary><code>pi</code>: 2 packages changed since <code>origin/main</code></summary>',
    );
    expect(text).toContain('| pi-package-with-a-long-name-1 | 1.1 | 2.1 | +10.0 KiB |');
    expect(text).toContain(
      '<details><summary>❌ <code>gw</code>: build failed</summary>\n\n```\nerror: x\n```',
    );
    expect(text.endsWith('<sub>end</sub>')).toBe(true);
  });

  it('stays under the limit by cutting the longest diffs first', () => {
    const rows = [bigRow('huge', 3000), bigRow('large', 800), bigRow('small', 5)];
    const text = renderReport(rows, { limit: 65_536, marker: REPORT_MARKER });
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(text).toContain('| small-package-with-a-long-name-4 |');
    expect(text).not.toContain('and 5 more');
    const huge = /… and (\d+) more packages: see the build job's summary/.exec(
      text.slice(text.indexOf('<code>huge</code>')),
    );
    expect(Number(huge?.[1])).toBeGreaterThan(2000);
    const shownHuge = (text.match(/\| huge-package/g) ?? []).length;
    const shownLarge = (text.match(/\| large-package/g) ?? []).length;
    expect(shownHuge + Number(huge?.[1])).toBe(3000);
    expect(Math.abs(shownHuge - shownLarge)).toBeLessThanOrEqual(60);
    expect(renderReport(rows, { limit: 2_000_000 })).not.toContain('more packages');
  });
});

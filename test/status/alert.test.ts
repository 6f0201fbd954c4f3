import { describe, expect, it } from 'vitest';
import { syncAlertIssue } from '../../src/core/alert-issue.js';
import type { FleetStatus } from '../../src/status/fleet-status.js';
import { judgeNode } from '../../src/status/judge.js';
import { STATUS_ALERT_LABEL, statusAlert } from '../../src/status/report.js';
import { useFakeGitHub } from '../fake-github/index.js';

const SLUG = 'octo-org/homelab';
const EXPECTED = {
  path: '/nix/store/web',
  attribute: 'nixosConfigurations.web.config.system.build.toplevel',
};

function fleet(reachable: boolean): FleetStatus {
  return {
    engine: 'switch',
    checkedAt: '2026-12-06T12:00:00.000Z',
    nodes: [
      judgeNode(
        'web',
        reachable
          ? { running: EXPECTED.path, bootDiffers: false }
          : { error: 'ssh root@web exited with code 255' },
        EXPECTED,
        () => undefined,
      ),
    ],
  };
}

describe('the fleet-status issue through our GitHub client', () => {
  const github = useFakeGitHub({ repositories: [SLUG], validateResponses: true });
  const target = () => ({
    client: github.client,
    repository: { owner: 'octo-org', repo: 'homelab' },
    runUrl: 'https://github.com/octo-org/homelab/actions/runs/9',
  });

  it('opens one issue while a node is not current, updates it, and closes it once all are', async () => {
    const repo = github.server.repo(SLUG);
    repo.openIssue({ title: 'backups', labels: ['backup-alert'] });
    expect(await syncAlertIssue(statusAlert(fleet(false)), target(), github.logger)).toMatchObject({
      action: 'opened',
      number: 2,
    });
    expect(repo.issue(2)).toMatchObject({ title: '⚠️ 1 node(s) not current', labels: [STATUS_ALERT_LABEL] });
    expect(repo.issue(2)?.body).toContain('🔌 **web** unreachable: ssh root@web exited with code 255');
    expect(await syncAlertIssue(statusAlert(fleet(false)), target(), github.logger)).toMatchObject({
      action: 'updated',
      number: 2,
    });
    expect(await syncAlertIssue(statusAlert(fleet(true)), target(), github.logger)).toMatchObject({
      action: 'closed',
      number: 2,
    });
    expect(repo.issue(2)).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(repo.issue(1)?.state).toBe('open');
  });
});

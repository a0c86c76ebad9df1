/**
 * Issue 16, item 4: the daily reconciliation reports what the dashboard and the deadline alarm
 * read: credentials by product and status (counted by each target's ReconcileTarget), and the
 * operator tasks waiting, the oldest one's age and those within a day of their deadline (from the
 * task records' tags and creation dates; a task token is never read).
 */
import { describe, expect, it, vi } from 'vitest';
import { TAG } from '#core/names.ts';
import type { OperatorTaskSummary } from '#core/operator-task-store.ts';
import type { CredentialStore } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import { reconcileTarget, reportDrift } from '#core/workflows/reconcile.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const HOUR = 3_600_000;

function depsWith(
  store: Partial<CredentialStore>,
  vendor: Record<string, unknown> = {},
  waiting: OperatorTaskSummary[] = [],
): WorkflowDeps {
  return {
    store: store as CredentialStore,
    tasks: { list: async () => waiting },
    vendorFor: () => ({ name: 'fortios', capabilities: { issuance: 'api', twinUsers: true }, ...vendor }),
    events: { publish: vi.fn() },
    now: () => NOW,
    schedules: { ensure: vi.fn(), remove: vi.fn() },
    holdEnds: { ensure: vi.fn(), remove: vi.fn() },
  } as unknown as WorkflowDeps;
}

const drift = (target: string, vendor: string, statuses: Record<string, number>) => ({
  target,
  vendor,
  statuses,
  checked: 0,
  orphans: [],
  repaired: [],
  broken: [],
  inconclusive: [],
  unverified: [],
  expiring: [],
  staleAdmins: [],
});

describe('the reconciliation report', () => {
  it('counts credentials by product and status over every target', async () => {
    // Prepare
    const deps = depsWith({});
    // Act
    const report = await reportDrift(deps, {
      requestId: 'reconcile-1',
      results: [
        drift('fgt-a', 'fortios', { active: 2, revoking: 1 }),
        drift('fgt-b', 'fortios', { active: 1 }),
        drift('arm', 'autorabit', { active: 1 }),
        { target: 'fmg', error: 'FatalError' },
      ],
    });
    // Assess
    expect(report.credentials).toEqual([
      { product: 'autorabit', status: 'active', count: 1 },
      { product: 'fortios', status: 'active', count: 3 },
      { product: 'fortios', status: 'revoking', count: 1 },
    ]);
  });

  it('counts the operator tasks waiting, the oldest one’s age and those due within a day', async () => {
    // Prepare
    const task = (taskId: string, openedHoursAgo: number, dueInHours: number) => ({
      taskId,
      target: 'arm',
      vendor: 'autorabit',
      ticket: 'CHG1',
      deadline: new Date(NOW.getTime() + dueInHours * HOUR).toISOString(),
      openedAt: new Date(NOW.getTime() - openedHoursAgo * HOUR),
    });
    const deps = depsWith({}, {}, [task('t1', 50, 22), task('t2', 2, 70), task('t3', 10, 24.5)]);
    // Act
    const report = await reportDrift(deps, { requestId: 'reconcile-2', results: [] });
    // Assess
    expect(report.operatorTasks).toEqual({ waiting: 3, oldestAgeSeconds: 50 * 3600, nearDeadline: 1 });
  });

  it('takes each target’s counts from ReconcileTarget, every status included', async () => {
    // Prepare
    const credential = (status: string) => ({
      name: `provisioner/fgt/${status}`,
      tags: { [TAG.status]: status },
    });
    const deps = {
      ...depsWith(
        {
          loadTarget: async () => ({ vendor: 'fortios' }),
          listByTarget: async () => [credential('revoked'), credential('revoking'), credential('revoked')],
        } as unknown as Partial<CredentialStore>,
        { listManagedUsers: async () => [] },
      ),
      executionRecent: async () => false,
      rotations: { start: async () => ({ executionArn: 'unused', alreadyStarted: false }) },
    };
    // Act
    const found = await reconcileTarget(deps, { target: 'fgt' });
    // Assess
    expect(found).toMatchObject({ vendor: 'fortios', statuses: { revoked: 2, revoking: 1 } });
  });
});

/**
 * Issue 16, item 4: the time from a deactivation event to the last of the owner's credentials
 * proven refused (each is retired right after its proof). The revoke request carries the event's
 * time (its `time` field, as EventBridge delivers it), which does not enter the execution name: a
 * directory that publishes the same deactivation again still starts nothing new.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowStarter } from '#core/deactivation.ts';
import { revocationFromEvent } from '#core/deactivation.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import { reportRevocation } from '#core/workflows/revoke.ts';

const event = (time: string) => ({
  version: '0',
  id: `delivery-${time}`,
  source: 'provisioner.directory',
  'detail-type': 'User Deactivated',
  time,
  detail: { eventId: 'hr-9', userId: 'kim@example.com' },
});
const noContinuation: WorkflowStarter = {
  start: async () => {
    throw new Error('no continuation');
  },
};
const deps = { events: { publish: async () => {} } } as unknown as WorkflowDeps;

describe('the deactivation time', () => {
  it('travels in the revoke request from the event, and leaves the execution name alone', () => {
    // Act
    const first = revocationFromEvent(event('2026-12-01T10:00:00Z'));
    const again = revocationFromEvent(event('2026-12-01T10:05:00Z'));
    // Assess
    expect(first.request.deactivatedAt).toBe('2026-12-01T10:00:00Z');
    expect(again.executionName).toBe(first.executionName);
  });

  it('never refuses a deactivation for its time: one that is not a time is left out', () => {
    // Act
    const { request } = revocationFromEvent(event('yesterday'));
    // Assess
    expect(request).toEqual({
      owner: 'kim@example.com',
      reason: 'deactivated in the directory',
      source: 'directory',
    });
  });

  it('gives the report the seconds from the deactivation to the last credential retired', async () => {
    // Act
    const report = await reportRevocation(deps, noContinuation, {
      owner: 'kim@example.com',
      requestId: 'revoke-hr-9-0123456789',
      request: {
        owner: 'kim@example.com',
        reason: 'left',
        source: 'directory',
        deactivatedAt: '2026-12-01T10:00:00Z',
      },
      continueAfter: null,
      results: [
        { secretName: 'provisioner/fgt/a', status: 'revoked', retiredAt: '2026-12-01T10:02:00Z' },
        { secretName: 'provisioner/fgt/b', status: 'revoked', retiredAt: '2026-12-01T10:07:30Z' },
      ],
    });
    // Assess
    expect(report.deactivationToLastRefusalSeconds).toBe(450);
  });

  it('gives none to a revocation an operator asked for: it has no event time', async () => {
    // Act
    const report = await reportRevocation(deps, noContinuation, {
      owner: 'kim@example.com',
      requestId: 'revoke-op-1',
      request: { owner: 'kim@example.com', reason: 'asked', source: 'operator' },
      continueAfter: null,
      results: [{ secretName: 'provisioner/fgt/a', status: 'revoked', retiredAt: '2026-12-01T10:02:00Z' }],
    });
    // Assess
    expect(report.deactivationToLastRefusalSeconds).toBeUndefined();
  });
});

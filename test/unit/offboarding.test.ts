/**
 * What an owner's revocation does to each of their credentials (lambdas/core/ownership.ts,
 * offboardingDecision): revoke now, or hold a shared one as the target's policy says.
 */
import { describe, expect, it } from 'vitest';
import { TAG } from '#core/names.ts';
import { offboardingDecision } from '#core/ownership.ts';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const personal = { [TAG.owner]: 'ann@example.com' };
const shared = { ...personal, [TAG.shared]: 'true' };

describe('offboardingDecision', () => {
  it.each([
    ['a personal credential', personal, undefined, { action: 'revoke', reason: 'personal credential' }],
    [
      "a team's credential (its team deleted)",
      { [TAG.owner]: 'team:00g1', [TAG.ownerKind]: 'team' },
      { holdDays: 7 },
      { action: 'revoke', reason: 'team credential' },
    ],
    [
      'a shared credential on a target without an offboarding policy',
      shared,
      undefined,
      { action: 'revoke', reason: "shared credential: the target's offboarding policy revokes it" },
    ],
    [
      'a shared credential on a target that revokes them',
      shared,
      'revoke',
      { action: 'revoke', reason: "shared credential: the target's offboarding policy revokes it" },
    ],
    [
      'a shared credential on a target that holds them 14 days',
      shared,
      { holdDays: 14 },
      {
        action: 'hold',
        heldUntil: '2026-12-15T12:00:00.000Z',
        newlyHeld: true,
        reason: "shared credential: the target's offboarding policy holds it 14 days",
      },
    ],
    [
      'a shared credential already held, its hold not over',
      { ...shared, [TAG.heldUntil]: '2026-12-02T00:00:00.000Z' },
      { holdDays: 14 },
      {
        action: 'hold',
        heldUntil: '2026-12-02T00:00:00.000Z',
        newlyHeld: false,
        reason: 'shared credential: held until 2026-12-02T00:00:00.000Z',
      },
    ],
    [
      'a shared credential whose hold is over',
      { ...shared, [TAG.heldUntil]: '2026-12-01T12:00:00.000Z' },
      { holdDays: 14 },
      { action: 'revoke', reason: 'shared credential: its hold ended 2026-12-01T12:00:00.000Z' },
    ],
  ] as const)('%s', (_, tags, policy, decision) => {
    // Act, Assess
    expect(offboardingDecision({ tags, shared: policy, consumers: 0, now: NOW })).toEqual(decision);
  });

  it.each([
    [
      'a personal credential read by two consumer roles, on a target that holds what others use',
      personal,
      2,
      {
        action: 'hold',
        heldUntil: '2026-12-08T12:00:00.000Z',
        newlyHeld: true,
        reason: "read by 2 consumer roles: the target's offboarding policy holds it 7 days",
      },
    ],
    [
      'a personal credential with one consumer, already held',
      { ...personal, [TAG.heldUntil]: '2026-12-02T00:00:00.000Z' },
      1,
      {
        action: 'hold',
        heldUntil: '2026-12-02T00:00:00.000Z',
        newlyHeld: false,
        reason: 'read by 1 consumer role: held until 2026-12-02T00:00:00.000Z',
      },
    ],
    [
      'a shared credential with consumers (shared is the reason named)',
      shared,
      3,
      {
        action: 'hold',
        heldUntil: '2026-12-08T12:00:00.000Z',
        newlyHeld: true,
        reason: "shared credential: the target's offboarding policy holds it 7 days",
      },
    ],
  ] as const)('others use %s', (_, tags, consumers, decision) => {
    // Act, Assess
    expect(offboardingDecision({ tags, shared: { holdDays: 7 }, consumers, now: NOW })).toEqual(decision);
  });

  it('revokes a shared credential whose held-until tag is not a date (a hold is never read from noise)', () => {
    // Act
    const decision = offboardingDecision({
      tags: { ...shared, [TAG.heldUntil]: 'soon' },
      shared: { holdDays: 3 },
      consumers: 0,
      now: NOW,
    });
    // Assess
    expect(decision).toEqual({
      action: 'revoke',
      reason: 'shared credential: its held-until tag ("soon") is not a date',
    });
  });
});

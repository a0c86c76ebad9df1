/** Which schedule a credential gets, and what its Scheduler name is (lambdas/core/schedules.ts). */
import { describe, expect, it } from 'vitest';
import type { VendorCapabilities } from '#core/products/vendor.ts';
import { rotationScheduleName, scheduleFor } from '#core/schedules.ts';

const TWIN_USERS: VendorCapabilities = {
  issuance: 'api',
  accessProfiles: true,
  twinUsers: true,
  tokenBroker: false,
};
const TOKEN_BROKER: VendorCapabilities = {
  issuance: 'operator',
  accessProfiles: false,
  twinUsers: false,
  tokenBroker: true,
};
const NEITHER: VendorCapabilities = {
  issuance: 'operator',
  accessProfiles: false,
  twinUsers: false,
  tokenBroker: false,
};
const NOW = new Date('2026-11-25T10:00:00.000Z');
const DAY_MS = 24 * 3600 * 1000;
const inDays = (days: number) => new Date(NOW.getTime() + days * DAY_MS).toISOString();

describe('scheduleFor', () => {
  it('rotates twin-user credentials on the recurring rate, whatever their expiry', () => {
    // Act
    const schedule = scheduleFor(TWIN_USERS, inDays(5), NOW);
    // Assess
    expect(schedule).toEqual({ workflow: 'rotate' });
  });

  it('refreshes the access token of token-broker credentials', () => {
    // Act
    const schedule = scheduleFor(TOKEN_BROKER, undefined, NOW);
    // Assess
    expect(schedule).toEqual({ workflow: 'refresh' });
  });

  it('gives a credential that neither rotates nor expires no schedule', () => {
    // Act
    const schedule = scheduleFor(NEITHER, undefined, NOW);
    // Assess
    expect(schedule).toBeUndefined();
  });

  it('rotates an expiring credential once, 21 days before its expiry', () => {
    // Act
    const schedule = scheduleFor(NEITHER, inDays(90), NOW);
    // Assess
    expect(schedule).toEqual({ workflow: 'rotate', at: inDays(69) });
  });

  it('rotates at half the remaining life when that is shorter than 21 days', () => {
    // Act
    const schedule = scheduleFor(NEITHER, inDays(10), NOW);
    // Assess
    expect(schedule).toEqual({ workflow: 'rotate', at: inDays(5) });
  });

  it('rotates an already expired credential at its expiry (no lead, never before it)', () => {
    // Act
    const schedule = scheduleFor(NEITHER, inDays(-3), NOW);
    // Assess
    expect(schedule).toEqual({ workflow: 'rotate', at: inDays(-3) });
  });
});

describe('scheduleFor with the rotation a request asked for', () => {
  const rotation = { schedule: 'cron(0 2 ? * SAT *)', timeZone: 'Europe/Berlin' };

  it('puts the expression and its time zone on a twin-user credential’s schedule', () => {
    // Act
    const schedule = scheduleFor(TWIN_USERS, undefined, NOW, rotation);
    // Assess
    expect(schedule).toEqual({
      workflow: 'rotate',
      expression: rotation.schedule,
      timeZone: 'Europe/Berlin',
    });
  });

  it('gives an operator credential without expiry a recurring rotation; an expiry still wins', () => {
    // Act
    const recurring = scheduleFor(NEITHER, undefined, NOW, rotation);
    const expiring = scheduleFor(NEITHER, inDays(90), NOW, rotation);
    // Assess
    expect(recurring).toEqual({
      workflow: 'rotate',
      expression: rotation.schedule,
      timeZone: 'Europe/Berlin',
    });
    expect(expiring).toEqual({ workflow: 'rotate', at: inDays(69) });
  });
});

describe('rotationScheduleName', () => {
  it('names the credential readably without the provisioner/ prefix, with a hash suffix', () => {
    // Act
    const name = rotationScheduleName('provisioner/fgt-lab/bot');
    // Assess
    expect(name).toMatch(/^rotate-fgt-lab_bot-[0-9a-f]{10}$/);
  });

  it('stays within Scheduler’s 64 characters of [0-9a-zA-Z-_.] for the longest secret names', () => {
    // Prepare
    const long = `provisioner/${'t'.repeat(63)}/${'u'.repeat(35)}`;
    // Act
    const name = rotationScheduleName(long);
    // Assess
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[0-9a-zA-Z\-_.]+$/);
  });

  it('is stable for a name, and tells apart names that read the same once shortened', () => {
    // Prepare
    const prefix = `provisioner/${'t'.repeat(60)}/`;
    // Act
    const first = rotationScheduleName(`${prefix}alpha`);
    const second = rotationScheduleName(`${prefix}beta`);
    const again = rotationScheduleName(`${prefix}alpha`);
    // Assess
    expect(first.slice(0, -10)).toBe(second.slice(0, -10));
    expect(first).not.toBe(second);
    expect(again).toBe(first);
  });
});

/** A credential's rotation timing: its schema, its tag, and when a rotation may start (lambdas/core/rotation-timing.ts). */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIMING,
  parseRotationTag,
  RotationSettings,
  rotationTagValue,
  windowStart,
} from '#core/rotation-timing.ts';
import { parseInput } from '#core/schemas.ts';

const parse = (input: unknown) => parseInput(RotationSettings, input, 'rotation');
const refusal = (input: unknown) => {
  try {
    parse(input);
  } catch (error) {
    return (error as { issues?: string[] }).issues?.join('; ');
  }
  return 'accepted';
};

describe('RotationSettings', () => {
  it('takes Scheduler rate and cron expressions, with a time zone, window, grace period and notice', () => {
    // Act
    const rate = parse({ schedule: 'rate(30 days)' });
    const cron = parse({
      schedule: 'cron(0 2 ? * SUN *)',
      timeZone: 'Europe/Berlin',
      window: { days: ['SAT', 'SUN'], start: '01:30', durationMinutes: 180 },
      gracePeriodMinutes: 240,
      noticeMinutes: 30,
    });
    // Assess
    expect(rate).toEqual({ schedule: 'rate(30 days)', ...DEFAULT_TIMING });
    expect(rate.gracePeriodMinutes).toBe(120);
    expect(cron.window).toEqual({ days: ['SAT', 'SUN'], start: '01:30', durationMinutes: 180 });
  });

  // Schedule types: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
  it.each([
    ['at(2026-12-24T10:00:00)', /must recur/],
    ['rate(5 minutes)', /at most once a day/],
    ['rate(0 days)', /positive/],
    ['rate(2 weeks)', /rate\(value unit\)/],
    ['cron(0 2 * * *)', /six fields/],
    ['cron(0 2 * * MON *)', /exactly one of day-of-month and day-of-week/],
    ['cron(*/5 * ? * * *)', /at most once a day/],
  ])('refuses the schedule %s, saying why', (schedule, why) => {
    // Act
    const issues = refusal({ schedule });
    // Assess
    expect(issues).toMatch(/^schedule: /);
    expect(issues).toMatch(why);
  });

  it('refuses an unknown time zone, a grace period inside the caching clients’ hour, a bad window', () => {
    // Act
    const zone = refusal({ schedule: 'rate(1 day)', timeZone: 'Mars/Olympus' });
    const offset = refusal({ schedule: 'rate(1 day)', timeZone: '+01:00' });
    const grace = refusal({ schedule: 'rate(1 day)', gracePeriodMinutes: 60 });
    const window = refusal({
      schedule: 'rate(1 day)',
      window: { start: '25:00', durationMinutes: 10, days: ['MON', 'MON'] },
    });
    // Assess
    expect(zone).toBe('timeZone: "Mars/Olympus" is not a time zone this system knows (IANA names)');
    expect(offset).toMatch(/^timeZone: must be an IANA time zone name/);
    expect(grace).toMatch(/^gracePeriodMinutes: must exceed the one-hour refresh/);
    expect(window).toMatch(/window.days: names a day twice/);
    expect(window).toMatch(/window.start: must be a 24-hour time/);
    expect(window).toMatch(/window.durationMinutes/);
  });
});

describe('the rotation tag', () => {
  it('round-trips the timing in the characters Secrets Manager allows in a tag value', () => {
    // Prepare
    const timing = parse({
      schedule: 'rate(7 days)',
      timeZone: 'America/Argentina/Buenos_Aires',
      window: {
        days: ['MON', 'WED', 'FRI', 'SAT', 'SUN', 'TUE', 'THU'],
        start: '23:15',
        durationMinutes: 1440,
      },
      gracePeriodMinutes: 10080,
      noticeMinutes: 1440,
    });
    const { schedule: _schedule, ...expected } = timing;
    // Act
    const value = rotationTagValue(timing);
    // Assess
    expect(value).toMatch(/^[\p{L}\p{N} +\-=._:/@]{1,256}$/u);
    expect(parseRotationTag(value)).toEqual(expected);
    expect(parseRotationTag(rotationTagValue(DEFAULT_TIMING))).toEqual(DEFAULT_TIMING);
    expect(parseRotationTag(undefined)).toEqual(DEFAULT_TIMING);
  });

  it('refuses a tag it did not write', () => {
    // Act / Assess
    expect(() => parseRotationTag('grace=5 notice=x')).toThrow(/not one this system writes/);
  });
});

describe('windowStart', () => {
  const berlin = {
    timeZone: 'Europe/Berlin',
    window: { days: ['SAT' as const], start: '02:00', durationMinutes: 120 },
  };

  it('starts at once inside the window, and at the next opening outside it, in the window’s zone', () => {
    // Prepare: Saturday 2026-12-05 02:30 in Berlin is 01:30 UTC (CET, +1).
    const inside = new Date('2026-12-05T01:30:00Z');
    const before = new Date('2026-12-01T12:00:00Z');
    const after = new Date('2026-12-05T03:00:00Z');
    // Act / Assess
    expect(windowStart(inside, berlin)).toEqual(inside);
    expect(windowStart(before, berlin).toISOString()).toBe('2026-12-05T01:00:00.000Z');
    expect(windowStart(after, berlin).toISOString()).toBe('2026-12-12T01:00:00.000Z');
  });

  it('follows daylight saving time, and a window open since the evening before', () => {
    // Prepare: Berlin is on CEST (+2) in July; a daily window from 23:00 for three hours.
    const nightly = { timeZone: 'Europe/Berlin', window: { start: '23:00', durationMinutes: 180 } };
    // Act / Assess
    expect(windowStart(new Date('2026-07-04T10:00:00Z'), berlin).toISOString()).toBe(
      '2026-07-11T00:00:00.000Z',
    );
    expect(windowStart(new Date('2026-07-04T22:30:00Z'), nightly).toISOString()).toBe(
      '2026-07-04T22:30:00.000Z',
    );
    expect(windowStart(new Date('2026-07-04T12:00:00Z'), nightly).toISOString()).toBe(
      '2026-07-04T21:00:00.000Z',
    );
  });

  it('starts at the earliest instant when there is no window', () => {
    // Prepare
    const now = new Date('2026-12-01T12:00:00Z');
    // Act / Assess
    expect(windowStart(now, { timeZone: 'UTC' })).toEqual(now);
  });
});

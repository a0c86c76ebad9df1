/**
 * When a credential rotates: its Scheduler expression and time zone, the window a rotation may
 * start in, the notice announced before it, and the grace period the previous key keeps. The
 * expression and zone live on the credential's schedule; the rest on one tag of its secret
 * (`provisioner:rotation`), which the rotate workflow reads.
 */
import * as z from 'zod';
import { ValidationError } from './errors.ts';

/**
 * The grace period by default: AWS's Secrets Manager caching clients re-read a secret every hour
 * by default (`secret_refresh_interval` 3600 s in Python's SecretCacheConfig, `CacheItemTTL`
 * 3600000 ms in .NET's and Java's SecretCacheConfiguration:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_cache-ref-secretcacheconfig.html),
 * so a consumer may hold the previous key for an hour after promotion; two hours leave it a second
 * refresh, should the first fail (the caches keep the stale value then).
 */
const DEFAULT_GRACE_PERIOD_MINUTES = 120;
/** Shorter than a caching client's refresh plus a margin would retire a key a consumer may still hold. */
const MIN_GRACE_PERIOD_MINUTES = 65;
export const MAX_GRACE_PERIOD_MINUTES = 7 * 24 * 60;
/** How long before a rotation changes anything its notice goes out, by default. */
const DEFAULT_NOTICE_MINUTES = 60;
export const MAX_NOTICE_MINUTES = 24 * 60;
const MINUTES_PER_DAY = 24 * 60;

const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

/**
 * EventBridge Scheduler's recurring expressions ("Schedule types":
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html): `rate(value unit)`
 * with a positive value and minute(s), hour(s) or day(s); `cron(minutes hours day-of-month month
 * day-of-week year)`, six fields, with `?` in one of day-of-month and day-of-week. A one-time `at()`
 * is refused: a rotation schedule recurs. A credential rotates at most once a day (its grace period
 * and notice must fit between two rotations).
 */
const RotationScheduleExpression = z
  .string()
  .max(256)
  .superRefine((expression, ctx) => {
    const problem = scheduleExpressionProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const RATE = /^rate\((\d{1,6}) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_FIELD = /^[0-9A-Z*?,/#LW-]{1,40}$/;
const UNIT_MINUTES: Readonly<Record<string, number>> = { minute: 1, hour: 60, day: MINUTES_PER_DAY };

function scheduleExpressionProblem(expression: string): string | undefined {
  if (expression.startsWith('at(')) return 'must recur: rate(...) or cron(...), not a one-time at(...)';
  const rate = RATE.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * (UNIT_MINUTES[rate[2]?.replace(/s$/, '') ?? ''] ?? 0);
    if (minutes < 1) return 'a rate must be a positive number';
    if (minutes < MINUTES_PER_DAY)
      return `rotates every ${minutes} minutes: at most once a day (rate(1 day))`;
    return undefined;
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron?.[1])
    return 'must be rate(value unit) or cron(minutes hours day-of-month month day-of-week year)';
  const fields = cron[1].split(' ');
  if (fields.length !== 6 || !fields.every((f) => CRON_FIELD.test(f)))
    return 'a cron expression has six fields: minutes hours day-of-month month day-of-week year';
  const [minutes, hours, dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    return 'a cron expression takes "?" in exactly one of day-of-month and day-of-week';
  if (!/^\d{1,2}$/.test(minutes ?? '') || !/^\d{1,2}$/.test(hours ?? ''))
    return 'a cron expression names one minute and one hour: at most once a day';
  return undefined;
}

/** An IANA time zone name this runtime knows (Scheduler's ScheduleExpressionTimezone takes these). */
const TimeZoneName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/,
    'must be an IANA time zone name like "Europe/Berlin"',
  )
  .superRefine((zone, ctx) => {
    if (!isKnownTimeZone(zone))
      ctx.addIssue({
        code: 'custom',
        message: `"${zone}" is not a time zone this system knows (IANA names)`,
      });
  });

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const RotationWindow = z
  .object({
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(7)
      .refine((days) => new Set(days).size === days.length, 'names a day twice')
      .optional()
      .describe('Days the window opens on (in the time zone); absent: every day'),
    start: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time "HH:MM"')
      .describe('When the window opens, local time of the time zone'),
    durationMinutes: z
      .number()
      .int()
      .min(30)
      .max(MINUTES_PER_DAY)
      .describe('How long it stays open (30 to 1440)'),
  })
  .strict();

export const RotationSettings = z
  .object({
    schedule: RotationScheduleExpression.describe(
      'When it rotates: an EventBridge Scheduler rate(...) or cron(...) expression, at most daily',
    ),
    timeZone: TimeZoneName.default('UTC').describe(
      'IANA time zone the cron expression and the window are read in',
    ),
    window: RotationWindow.optional().describe(
      'When a rotation may start; one that would start outside waits',
    ),
    gracePeriodMinutes: z
      .number()
      .int()
      .min(
        MIN_GRACE_PERIOD_MINUTES,
        `must exceed the one-hour refresh of Secrets Manager's caching clients (at least ${MIN_GRACE_PERIOD_MINUTES})`,
      )
      .max(MAX_GRACE_PERIOD_MINUTES)
      .default(DEFAULT_GRACE_PERIOD_MINUTES)
      .describe('How long the previous key stays valid after the new one is current (default 120)'),
    noticeMinutes: z
      .number()
      .int()
      .min(0)
      .max(MAX_NOTICE_MINUTES)
      .default(DEFAULT_NOTICE_MINUTES)
      .describe('How long before a rotation changes anything its notice is sent (default 60)'),
  })
  .strict();
export type RotationSettings = z.output<typeof RotationSettings>;

/** What the rotate workflow reads from the tag. */
export type RotationTiming = Pick<
  RotationSettings,
  'timeZone' | 'window' | 'gracePeriodMinutes' | 'noticeMinutes'
>;

export const DEFAULT_TIMING: RotationTiming = {
  timeZone: 'UTC',
  gracePeriodMinutes: DEFAULT_GRACE_PERIOD_MINUTES,
  noticeMinutes: DEFAULT_NOTICE_MINUTES,
};

/**
 * The tag value: `grace=120 notice=60 tz=Europe/Berlin window=MON.TUE/02:00/180`, in the
 * characters Secrets Manager allows in tag values (letters, digits, spaces, `+-=._:/@`), 256 at most.
 */
export function rotationTagValue(timing: RotationTiming): string {
  const window = timing.window
    ? ` window=${(timing.window.days ?? []).join('.') || '*'}/${timing.window.start}/${timing.window.durationMinutes}`
    : '';
  return `grace=${timing.gracePeriodMinutes} notice=${timing.noticeMinutes} tz=${timing.timeZone}${window}`;
}

/** The timing a tag value holds; a credential without the tag has the defaults. */
export function parseRotationTag(value: string | undefined): RotationTiming {
  if (value === undefined) return DEFAULT_TIMING;
  const fields = Object.fromEntries(
    value.split(' ').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const [days = '', start, duration] = (fields.window ?? '').split('/');
  const parsed = RotationSettings.omit({ schedule: true }).safeParse({
    timeZone: fields.tz,
    gracePeriodMinutes: Number(fields.grace),
    noticeMinutes: Number(fields.notice),
    ...(fields.window
      ? {
          window: {
            ...(days === '*' ? {} : { days: days.split('.') }),
            start,
            durationMinutes: Number(duration),
          },
        }
      : {}),
  });
  if (!parsed.success) throw new ValidationError(`the rotation tag "${value}" is not one this system writes`);
  return parsed.data;
}

/** The offset of a time zone from UTC at an instant, in milliseconds. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  for (const { type, value } of format.formatToParts(new Date(instant))) part[type] = Number(value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = part;
  return Date.UTC(year, month - 1, day, hour, minute, second) - Math.floor(instant / 1000) * 1000;
}

/** The instant a local wall-clock time of a zone stands for (a time a DST change skips moves forward). */
function zonedInstant(localAsUtc: number, timeZone: string): number {
  const first = localAsUtc - zoneOffsetMs(localAsUtc, timeZone);
  return localAsUtc - zoneOffsetMs(first, timeZone);
}

/**
 * The first instant at or after `earliest` inside the window (in its time zone): `earliest` itself
 * when the window is open then, else the next opening. No window: `earliest`.
 */
export function windowStart(earliest: Date, timing: Pick<RotationTiming, 'window' | 'timeZone'>): Date {
  const { window, timeZone } = timing;
  if (!window) return earliest;
  const [hours = 0, minutes = 0] = window.start.split(':').map(Number);
  const local = new Date(earliest.getTime() + zoneOffsetMs(earliest.getTime(), timeZone));
  // From the day before (a window open since yesterday evening) to a week and a day on.
  for (let day = -1; day <= 8; day++) {
    const openLocal = Date.UTC(
      local.getUTCFullYear(),
      local.getUTCMonth(),
      local.getUTCDate() + day,
      hours,
      minutes,
    );
    const weekday = WEEKDAYS[new Date(openLocal).getUTCDay()] ?? 'SUN';
    if (window.days && !window.days.includes(weekday)) continue;
    const opens = zonedInstant(openLocal, timeZone);
    if (opens > earliest.getTime()) return new Date(opens);
    if (earliest.getTime() < opens + window.durationMinutes * 60_000) return earliest;
  }
  throw new Error('a window with at least one day opens within a week');
}

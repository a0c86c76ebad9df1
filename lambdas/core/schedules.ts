/**
 * One schedule per credential: created when a credential becomes active, deleted when it
 * is revoked. Twin-user products rotate on it; token-broker products refresh their access token;
 * a credential the product expires (tokens with an expiry) rotates once, before its expiry.
 */
import { createHash } from 'node:crypto';
import { SECRET_PREFIX, targetSecretName } from './names.ts';
import type { VendorCapabilities } from './products/vendor.ts';
import type { RotationSettings } from './rotation-timing.ts';

export interface CredentialSchedule {
  /** `admin-rotate`: a target's own admin credential (its schedule is named after the target's secret). */
  readonly workflow: 'rotate' | 'refresh' | 'admin-rotate';
  /** A one-time rotation at this instant (ISO 8601, UTC) instead of the recurring rate. */
  readonly at?: string;
  /** The credential's own recurring expression and the zone it is read in, instead of the stack's rate. */
  readonly expression?: string;
  readonly timeZone?: string;
  /** A rate of its own instead of the stack's (a target's admin rotation, from its policy). */
  readonly rate?: string;
  /** `admin-rotate`: which admin credential of the target (its admin API token, or its SSH login). */
  readonly adminCredential?: 'api-token' | 'ssh';
}

/** A target's admin credential rotates every half of the age its policy allows, so it never grows older. */
export function adminRotationSchedule(
  maxAgeDays: number,
  adminCredential: 'api-token' | 'ssh',
): CredentialSchedule {
  return { workflow: 'admin-rotate', rate: `rate(${Math.floor(maxAgeDays / 2)} days)`, adminCredential };
}

/**
 * What a target's admin credential's schedule is named after: the admin token's, the target's
 * secret; the SSH login's, `<secret>/ssh`.
 */
export function adminScheduleSecretName(target: string, adminCredential: 'api-token' | 'ssh'): string {
  const secretName = targetSecretName(target);
  return adminCredential === 'api-token' ? secretName : `${secretName}/${adminCredential}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rotation starts this long before an expiry, or half the remaining life when that is shorter. */
const EXPIRY_LEAD_MS = 21 * DAY_MS;

/**
 * Which schedule a credential gets, from what its product can do, when the credential expires and
 * the rotation its request asked for. An expiry wins over a requested schedule: the credential
 * must rotate before it dies.
 */
export function scheduleFor(
  capabilities: VendorCapabilities,
  expiresAt: string | undefined,
  now: Date,
  rotation?: Pick<RotationSettings, 'schedule' | 'timeZone'>,
): CredentialSchedule | undefined {
  const own = rotation ? { expression: rotation.schedule, timeZone: rotation.timeZone } : {};
  if (capabilities.twinUsers) return { workflow: 'rotate', ...own };
  if (capabilities.tokenBroker) return { workflow: 'refresh' };
  if (!expiresAt) return rotation ? { workflow: 'rotate', ...own } : undefined;
  const expiry = Date.parse(expiresAt);
  const lead = Math.min(EXPIRY_LEAD_MS, Math.max(0, (expiry - now.getTime()) / 2));
  return { workflow: 'rotate', at: new Date(expiry - lead).toISOString() };
}

export interface RotationSchedules {
  /**
   * Create-if-absent: the schedule that starts the rotate workflow for this credential; with
   * `replaceExisting`, one already there is replaced whole by this one (a target's admin schedule
   * follows its policy's `adminKeyMaxAgeDays`).
   */
  ensure(
    credential: {
      secretName: string;
      target: string;
      apiUser: string;
    } & CredentialSchedule,
    options?: { readonly replaceExisting?: boolean },
  ): Promise<void>;
  /** Delete-if-present. */
  remove(secretName: string): Promise<void>;
}

/** A Scheduler name (<= 64 of [0-9a-zA-Z-_.]) that says which credential and cannot collide. */
export function rotationScheduleName(secretName: string): string {
  return credentialScheduleName('rotate', secretName);
}

/** A credential's schedule of one kind: its rotation's, or its held offboarding's end (lambdas/core/hold-ends.ts). */
export function credentialScheduleName(kind: 'rotate' | 'hold', secretName: string): string {
  const hash = createHash('sha256').update(secretName).digest('hex').slice(0, 10);
  const readable = (
    secretName.startsWith(SECRET_PREFIX) ? secretName.slice(SECRET_PREFIX.length) : secretName
  )
    .replace(/[^0-9a-zA-Z-_.]/g, '_')
    .slice(0, 46);
  return `${kind}-${readable}-${hash}`;
}

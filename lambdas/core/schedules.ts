/**
 * One schedule per credential (issue 5): created when a credential becomes active, deleted when it
 * is revoked. Twin-user products rotate on it; token-broker products refresh their access token.
 */
import { createHash } from 'node:crypto';

export interface RotationSchedules {
  /** Create-if-absent: the schedule that starts the rotate workflow for this credential. */
  ensure(credential: {
    secretName: string;
    target: string;
    apiUser: string;
    workflow: 'rotate' | 'refresh';
  }): Promise<void>;
  /** Delete-if-present. */
  remove(secretName: string): Promise<void>;
}

/** A Scheduler name (<= 64 of [0-9a-zA-Z-_.]) that says which credential and cannot collide. */
export function rotationScheduleName(secretName: string): string {
  const hash = createHash('sha256').update(secretName).digest('hex').slice(0, 10);
  const readable = secretName
    .replace(/^provisioner\//, '')
    .replace(/[^0-9a-zA-Z-_.]/g, '_')
    .slice(0, 46);
  return `rotate-${readable}-${hash}`;
}

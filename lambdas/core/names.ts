/**
 * Where things live in Secrets Manager, in one module without dependencies so the stack (lib/)
 * grants on the same names the code uses: one secret per credential,
 * `provisioner/<target>/<api-user>`, targets under `provisioner/targets/<name>`, operator tasks
 * under `provisioner/tasks/<id>`; the tags of the inventory and the version stages.
 */

export const SECRET_PREFIX = 'provisioner/';
export const TARGET_PREFIX = `${SECRET_PREFIX}targets/`;
export const TASK_PREFIX = `${SECRET_PREFIX}tasks/`;
/** The shared secret ticket webhooks are signed with (created by the stack, rotated by people). */
export const WEBHOOK_SECRET_NAME = `${SECRET_PREFIX}intake/webhook-secret`;
export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';

export const TAG = {
  owner: 'provisioner:owner',
  target: 'provisioner:target',
  vendor: 'provisioner:vendor',
  ticket: 'provisioner:ticket',
  status: 'provisioner:status',
  createdBy: 'provisioner:created-by',
  /** The product user a key belongs to (a service user, a license holder): counted against its key limit. */
  serviceUser: 'provisioner:service-user',
  expiresAt: 'provisioner:expires-at',
  /** What a secret under provisioner/ holds besides credentials: `access-token` or `operator-task`. */
  kind: 'provisioner:kind',
  deadline: 'provisioner:deadline',
} as const;

export function credentialSecretName(target: string, apiUser: string): string {
  return `${SECRET_PREFIX}${target}/${apiUser}`;
}

export function targetSecretName(target: string): string {
  return `${TARGET_PREFIX}${target}`;
}

/** The broker's short-lived bearer token of a credential, beside it (token-broker products). */
export function accessTokenSecretName(credentialSecretName: string): string {
  return `${credentialSecretName}/access-token`;
}

export function taskSecretName(taskId: string): string {
  return `${TASK_PREFIX}${taskId}`;
}

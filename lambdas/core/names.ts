/**
 * Where things live in Secrets Manager, in one module without dependencies so the stack (lib/)
 * grants on the same names the code uses. Every name derives from the stack's name
 * (`physicalNames`), so two stacks share none in one account and region. Under the stack's secret
 * root: one secret per credential, `<root>/<target>/<api-user>`, targets under
 * `<root>/targets/<name>`; beside it, never under it, the webhook secret
 * (`<root>.intake/webhook-secret`), so that no grant on credentials reaches it. Operator tasks live
 * in a DynamoDB table of their own (`taskTable`). Also the tags of the inventory and the version stages.
 */
import { createHash } from 'node:crypto';

/** The stack name when the `stackName` context is not set. */
export const DEFAULT_STACK_NAME = 'CredentialProvisioner';

/** The variable the stack sets on every function, and the CLI from `--stack`: the secret root. */
export const SECRET_ROOT_VARIABLE = 'PROVISIONER_SECRET_ROOT';

/** The fixed physical names of one stack. */
export interface PhysicalNames {
  readonly secretRoot: string;
  readonly scheduleGroup: string;
  readonly kmsAlias: string;
  /** The managed policy an operator's role or permission set attaches (a name, so an account can refer to it). */
  readonly operatorPolicy: string;
  /** The IAM path of the functions' roles: a credential's resource policy lets the roles under it read. */
  readonly rolePath: string;
  /** The event bus directory deactivations arrive on, unless the deployment names another (`directoryEventBus`). */
  readonly directoryBus: string;
  /** The DynamoDB table of operator task records (they hold task tokens; no credential grant reaches it). */
  readonly taskTable: string;
  /** The function `provisioner submit` invokes (a name, so the CLI and the operator policy can refer to it). */
  readonly operatorAnswerFunction: string;
}

/**
 * The default stack keeps the names it was first deployed with; any other stack appends its name.
 * Stack names are `[A-Za-z][A-Za-z0-9-]*`, so `<root>.` of one stack is never another's root.
 */
export function physicalNames(stackName: string): PhysicalNames {
  const suffix = stackName === DEFAULT_STACK_NAME ? '' : `-${stackName}`;
  return {
    secretRoot: `provisioner${suffix}`,
    scheduleGroup: `credential-provisioner${suffix}`,
    kmsAlias: `alias/credential-provisioner${suffix}`,
    operatorPolicy: `credential-provisioner-operator${suffix}`,
    rolePath: `/credential-provisioner${suffix}/`,
    directoryBus: `credential-provisioner-directory${suffix}`,
    taskTable: `credential-provisioner-tasks${suffix}`,
    operatorAnswerFunction: boundedFunctionName(
      'credential-provisioner-accept-operator-answer',
      stackName,
      suffix,
    ),
  };
}

/** The task table's key schema and TTL attribute, shared by the stack and the store. */
export const TASK_TABLE = { partitionKey: 'taskId', expiryAttribute: 'expiresAt' } as const;

/**
 * A function name is at most 64 characters and a stack name up to 128: a stack whose name does not
 * fit is named by a digest of it instead, so two long stack names never share a function.
 */
function boundedFunctionName(base: string, stackName: string, suffix: string): string {
  const name = `${base}${suffix}`;
  return name.length <= 64
    ? name
    : `${base}-${createHash('sha256')
        .update(stackName)
        .digest('hex')
        .slice(0, 63 - base.length)}`;
}

/** The secret name prefixes under one root. */
export interface SecretLayout {
  readonly credentials: string;
  readonly targets: string;
  readonly webhookSecret: string;
}

export function secretLayout(root: string): SecretLayout {
  return {
    credentials: `${root}/`,
    targets: `${root}/targets/`,
    webhookSecret: `${root}.intake/webhook-secret`,
  };
}

// Live bindings: set once per process, from the function's environment or the CLI's --stack.
export let SECRET_PREFIX: string;
export let TARGET_PREFIX: string;
/** The shared secret ticket webhooks are signed with (created by the stack, rotated by people). */
export let WEBHOOK_SECRET_NAME: string;

/** Makes every name of this module the one of the stack whose secret root this is. */
export function useSecretRoot(root: string): void {
  const layout = secretLayout(root);
  SECRET_PREFIX = layout.credentials;
  TARGET_PREFIX = layout.targets;
  WEBHOOK_SECRET_NAME = layout.webhookSecret;
}

useSecretRoot(globalThis.process?.env[SECRET_ROOT_VARIABLE] || physicalNames(DEFAULT_STACK_NAME).secretRoot);

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';
/**
 * A token broker's bearer token: a version of the credential's own secret under this staging label,
 * never AWSCURRENT or AWSPENDING, so the credential's versions and status are untouched by it.
 * Consumers read it with GetSecretValue(VersionStage) under the credential's resource policy.
 */
export const ACCESS_TOKEN_STAGE = 'PROVISIONER_ACCESS_TOKEN';

export const TAG = {
  owner: 'provisioner:owner',
  target: 'provisioner:target',
  vendor: 'provisioner:vendor',
  ticket: 'provisioner:ticket',
  status: 'provisioner:status',
  createdBy: 'provisioner:created-by',
  /** The product user a key belongs to (a service user, a license holder): counted against its key limit. */
  serviceUser: 'provisioner:service-user',
  /** Written by earlier releases beside an ARM token's value (which holds the expiry); removed, never read. */
  expiresAt: 'provisioner:expires-at',
  /** What a secret under provisioner/ holds besides credentials: `access-token` (the legacy token secret). */
  kind: 'provisioner:kind',
  /** `person` or `team` (the owner tag says it too; this one lets ListSecrets filter by it). Absent: a person. */
  ownerKind: 'provisioner:owner-kind',
  /** The person accountable for the request: a team credential's requester, told about when they leave. */
  requestedBy: 'provisioner:requested-by',
  /** `true`: a person's credential others use, offboarded by the target policy's `offboarding.shared`. */
  shared: 'provisioner:shared',
  /** A held offboarding: the credential stays usable until then (ISO 8601), then a revocation takes it. */
  heldUntil: 'provisioner:held-until',
  /** The rotation's timing: window, notice, grace period, time zone (rotation-timing.ts). */
  rotation: 'provisioner:rotation',
  /** When an operator paused the credential's rotation schedule (`provisioner rotation pause`). */
  rotationPaused: 'provisioner:rotation-paused',
} as const;

export function credentialSecretName(target: string, apiUser: string): string {
  return `${SECRET_PREFIX}${target}/${apiUser}`;
}

export function targetSecretName(target: string): string {
  return `${TARGET_PREFIX}${target}`;
}

/**
 * Where releases before ACCESS_TOKEN_STAGE kept a broker's bearer token: a secret beside the
 * credential's. Read while it remains; the next refresh schedules its deletion.
 */
export function legacyAccessTokenSecretName(credentialSecretName: string): string {
  return `${credentialSecretName}/access-token`;
}

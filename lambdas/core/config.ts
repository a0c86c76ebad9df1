/**
 * The configuration the stack hands its functions: every environment variable's name, its default
 * and its parsing, in one module free of dependencies but the error classes and the names. `lib/` sets the variables by these names, the
 * handlers read them once per container through `readConfig`, and `local/` sets them as the stack
 * would. A required setting that is missing fails the step that needs it, naming the variable.
 */
import { FatalError } from './errors.ts';
import { DEFAULT_STACK_NAME, physicalNames, SECRET_ROOT_VARIABLE } from './names.ts';

/** The name the stack, its log and metric dimensions and its resources go by. */
export const SERVICE_NAME = 'credential-provisioner';

/** The default stack's KMS alias of the key that encrypts its secrets (other stacks: `physicalNames`). */
export const KMS_KEY_ALIAS = physicalNames(DEFAULT_STACK_NAME).kmsAlias;

/** The default stack's Scheduler group holding every credential's rotation or refresh schedule. */
export const ROTATION_SCHEDULE_GROUP = physicalNames(DEFAULT_STACK_NAME).scheduleGroup;

export const DEFAULT_ROTATION_RATE = 'rate(30 days)';
/** Brokered bearer tokens live an hour: a refresh every 45 minutes keeps one valid at all times. */
export const DEFAULT_TOKEN_REFRESH_RATE = 'rate(45 minutes)';
export const DEFAULT_EVENT_BUS = 'default';

/**
 * How far a ListSecrets answer may lag behind writes, with a margin: the ListSecrets API reference
 * says it "might not reflect changes from the last five minutes". A revocation lists again after
 * this long; reconciliation leaves users whose creating execution ended more recently alone.
 */
export const LISTING_LAG_SECONDS = 6 * 60;

/** Environment variable names, by what they configure. */
export const ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  kmsKeyId: 'PROVISIONER_KMS_KEY_ID',
  eventBus: 'PROVISIONER_EVENT_BUS',
  /** The root of the stack's secret names (read by names.ts when a function loads). */
  secretRoot: SECRET_ROOT_VARIABLE,
  /** The DynamoDB table of operator task records (physicalNames: `taskTable`). */
  taskTable: 'PROVISIONER_TASK_TABLE',
  /** How long one product request may take, in milliseconds (the adapters default to 10 s). */
  vendorTimeoutMs: 'PROVISIONER_VENDOR_TIMEOUT_MS',
  provisionStateMachineArn: 'PROVISION_STATE_MACHINE_ARN',
  rotateStateMachineArn: 'ROTATE_STATE_MACHINE_ARN',
  adminRotateStateMachineArn: 'ADMIN_ROTATE_STATE_MACHINE_ARN',
  refreshStateMachineArn: 'REFRESH_STATE_MACHINE_ARN',
  revokeStateMachineArn: 'REVOKE_STATE_MACHINE_ARN',
  rotationScheduleGroup: 'ROTATION_SCHEDULE_GROUP',
  rotationSchedulerRoleArn: 'ROTATION_SCHEDULER_ROLE_ARN',
  /** Where Scheduler keeps a schedule's invocation that failed (an SQS queue ARN). */
  rotationDeadLetterQueueArn: 'ROTATION_DEAD_LETTER_QUEUE_ARN',
  rotationRate: 'ROTATION_RATE',
  tokenRefreshRate: 'TOKEN_REFRESH_RATE',
  /**
   * The public addresses products see the functions call from (the NAT's, comma-separated CIDRs),
   * set by the stack when it knows them: every API user created trusts them.
   */
  egressAddresses: 'PROVISIONER_EGRESS_ADDRESSES',
  /** ARN patterns (comma-separated) of the roles besides a credential's consumers that read it (lambdas/core/consumer-access.ts). */
  credentialReaders: 'PROVISIONER_CREDENTIAL_READERS',
} as const;

export type Setting = keyof typeof ENV;

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

export interface Config {
  readonly serviceName: string;
  readonly kmsKeyId: string | undefined;
  readonly eventBus: string;
  /** The operator task table; the default stack's unless the stack sets another. */
  readonly taskTable: string;
  readonly vendorTimeoutMs: number | undefined;
  readonly rotationRate: string;
  readonly tokenRefreshRate: string;
  /** The egress addresses as IPv4 CIDRs (none when the stack does not know them); a malformed one is a FatalError naming the variable. */
  egressAddresses(): readonly string[];
  readonly credentialReaders: readonly string[];
  /** A setting without a default: its value, or a FatalError naming the variable (no retry cures a deployment). */
  required(setting: Setting): string;
}

export function readConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const value = (setting: Setting) => env[ENV[setting]] || undefined;
  const timeout = Number(value('vendorTimeoutMs'));
  return {
    serviceName: value('serviceName') ?? SERVICE_NAME,
    kmsKeyId: value('kmsKeyId'),
    eventBus: value('eventBus') ?? DEFAULT_EVENT_BUS,
    taskTable: value('taskTable') ?? physicalNames(DEFAULT_STACK_NAME).taskTable,
    vendorTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
    rotationRate: value('rotationRate') ?? DEFAULT_ROTATION_RATE,
    tokenRefreshRate: value('tokenRefreshRate') ?? DEFAULT_TOKEN_REFRESH_RATE,
    egressAddresses() {
      const addresses = (value('egressAddresses') ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      const malformed = addresses.find((a) => !IPV4_CIDR.test(a));
      if (malformed) throw new FatalError(`${ENV.egressAddresses} holds ${malformed}, not an IPv4 CIDR`);
      return addresses;
    },
    credentialReaders: (value('credentialReaders') ?? '')
      .split(',')
      .map((reader) => reader.trim())
      .filter(Boolean),
    required(setting) {
      const found = value(setting);
      if (!found) throw new FatalError(`${ENV[setting]} is not set`);
      return found;
    },
  };
}

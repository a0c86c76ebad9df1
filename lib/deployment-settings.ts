/**
 * The deployment's choices, read from CDK context (`cdk.json` or `cdk synth -c key=value`) so that
 * synthesis stays offline; every key, its default and what it changes is in
 * docs/deploy-to-production.md. A value that is not understood fails synthesis, naming the key.
 */
import type { Node } from 'constructs';
import { DEFAULT_STACK_NAME } from '#core/names.ts';

const INTAKE_KINDS = ['function-url', 'http-api'] as const;
export type IntakeKind = (typeof INTAKE_KINDS)[number];

const NETWORK_KINDS = ['none', 'new', 'existing'] as const;

/** Where the functions that call products run (docs/deploy-to-production.md, "Network"). */
export type NetworkSettings =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'new';
      /** Where the appliances are: the only destinations of 443 and 22 besides AWS. */
      readonly managementCidrs: readonly string[];
      readonly interfaceEndpoints: boolean;
    }
  | {
      readonly kind: 'existing';
      readonly managementCidrs: readonly string[];
      readonly interfaceEndpoints: boolean;
      readonly vpcId: string;
      readonly subnetIds: readonly string[];
      readonly availabilityZones: readonly string[];
      /** The public addresses of that VPC's NAT, if it has one (stack outputs; trusted hosts). */
      readonly egressCidrs: readonly string[];
    };

export interface DeploymentSettings {
  readonly network: NetworkSettings;
  /**
   * The bus directory deactivation events arrive on: the stack's own (unset), the account's
   * default bus (`default`), or an existing bus of that name.
   */
  readonly directoryEventBus: string | undefined;
  /** Who may put events on the stack's own directory bus: account ids or IAM role ARNs (its resource policy). */
  readonly directoryEventPutters: readonly string[];
  /** The identity provider's partner event bus (`aws.partner/okta.com/...`); no Okta rule without it. */
  readonly partnerEventBus: string | undefined;
  /**
   * Roles that read every credential besides its consumers and the stack's functions (a break-glass
   * role; docs/deploy-to-production.md): exact role ARNs.
   */
  readonly credentialReaders: readonly string[];
  /** Subscribed by e-mail to every alert. */
  readonly alertEmail: string | undefined;
  /** `function-url` (the default) or `http-api`, for the regions without function URLs. */
  readonly intake: IntakeKind;
  /** Concurrency reserved for (and capping) the public intake, so a flood cannot starve revocations. */
  readonly intakeReservedConcurrency: number;
}

const DEFAULT_INTAKE_RESERVED_CONCURRENCY = 10;

/**
 * CloudFormation stack names are `[A-Za-z][A-Za-z0-9-]*`; 41 characters at most keeps
 * `credential-provisioner-<stack>` within Scheduler's 64-character group names.
 */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,40}$/;

function invalid(key: string, value: unknown, expected: string): Error {
  return new Error(`context ${key}=${JSON.stringify(value)} is not valid: expected ${expected}`);
}

/** The `stackName` context: the name the stack and every physical name derive from. */
export function stackNameOf(node: Node): string {
  const value: unknown = node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  checkStackName(value, 'context stackName');
  return value as string;
}

/** Refuses a stack name some physical name derived from it could not carry. */
export function checkStackName(value: unknown, what: string): void {
  if (typeof value !== 'string' || !STACK_NAME.test(value))
    throw new Error(
      `${what}=${JSON.stringify(value)} is not valid: expected a letter, then up to 40 letters, digits or hyphens`,
    );
}

function oneOf<T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T {
  const value: unknown = node.tryGetContext(key) ?? fallback;
  if (!allowed.includes(value as T)) throw invalid(key, value, allowed.join(' or '));
  return value as T;
}

function positiveInteger(node: Node, key: string, fallback: number, max: number): number {
  const raw: unknown = node.tryGetContext(key) ?? fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalid(key, raw, `an integer from 1 to ${max}`);
  return value;
}

/** A list from cdk.json (an array) or from `-c key=a,b` (a comma-separated string). */
function list(node: Node, key: string, item: RegExp, expected: string, required: boolean): string[] {
  const raw: unknown = node.tryGetContext(key) ?? [];
  const values =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : raw;
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && item.test(v)))
    throw invalid(key, raw, `a list of ${expected}`);
  if (required && values.length === 0) throw invalid(key, raw, `at least one ${expected}`);
  return values;
}

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

function networkSettings(node: Node): NetworkSettings {
  const kind = oneOf(node, 'network', NETWORK_KINDS, 'none');
  if (kind === 'none') return { kind };
  const managementCidrs = list(node, 'managementCidrs', CIDR, 'IPv4 CIDRs', true);
  if (managementCidrs.includes('0.0.0.0/0'))
    throw invalid(
      'managementCidrs',
      node.tryGetContext('managementCidrs'),
      "the appliances' networks, not 0.0.0.0/0",
    );
  const endpoints: unknown = node.tryGetContext('interfaceEndpoints');
  if (endpoints !== undefined && ![true, false, 'true', 'false'].includes(endpoints as string))
    throw invalid('interfaceEndpoints', endpoints, 'true or false');
  const forced = endpoints === undefined ? undefined : endpoints === true || endpoints === 'true';
  if (kind === 'new') return { kind, managementCidrs, interfaceEndpoints: forced ?? false };
  const vpcId = node.tryGetContext('vpcId');
  if (typeof vpcId !== 'string' || !/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    throw invalid('vpcId', vpcId, 'vpc-<hex>');
  const subnetIds = list(node, 'subnetIds', /^subnet-[0-9a-f]{8,17}$/, 'subnet-<hex> ids', true);
  const availabilityZones = list(
    node,
    'availabilityZones',
    /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/,
    'availability zones',
    true,
  );
  if (availabilityZones.length !== subnetIds.length)
    throw invalid('availabilityZones', availabilityZones, `one zone per subnet (${subnetIds.length})`);
  const egressCidrs = list(node, 'egressCidrs', CIDR, 'IPv4 CIDRs', false);
  // Subnets without a NAT reach AWS only through interface endpoints.
  return {
    kind,
    managementCidrs,
    vpcId,
    subnetIds,
    availabilityZones,
    egressCidrs,
    interfaceEndpoints: forced ?? egressCidrs.length === 0,
  };
}

function optional(node: Node, key: string, pattern: RegExp, expected: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(key, value, expected);
  return value;
}

export function deploymentSettings(node: Node): DeploymentSettings {
  return {
    network: networkSettings(node),
    directoryEventBus: optional(node, 'directoryEventBus', /^[A-Za-z0-9._-]{1,256}$/, 'an event bus name'),
    directoryEventPutters: list(
      node,
      'directoryEventPutters',
      /^(\d{12}|arn:aws[-a-z]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64})$/,
      'account ids or IAM role ARNs',
      false,
    ),
    partnerEventBus: optional(
      node,
      'partnerEventBus',
      /^aws\.partner\/okta\.com\/[A-Za-z0-9._/-]{1,200}$/,
      'the partner event bus name aws.partner/okta.com/<org>/<id>',
    ),
    credentialReaders: list(
      node,
      'credentialReaders',
      /^arn:aws[-a-z]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
      'IAM role ARNs',
      false,
    ),
    alertEmail: optional(node, 'alertEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    intake: oneOf(node, 'intake', INTAKE_KINDS, 'function-url'),
    intakeReservedConcurrency: positiveInteger(
      node,
      'intakeReservedConcurrency',
      DEFAULT_INTAKE_RESERVED_CONCURRENCY,
      1000,
    ),
  };
}

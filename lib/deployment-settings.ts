/**
 * The deployment's choices, read from CDK context (`cdk.json` or `cdk synth -c key=value`) so that
 * synthesis stays offline; every key, its default and what it changes is in
 * docs/deploy-to-production.md. A value that is not understood fails synthesis, naming the key.
 */
import type { Node } from 'constructs';
import { DEFAULT_STACK_NAME } from '#core/names.ts';

const INTAKE_KINDS = ['function-url', 'http-api'] as const;
export type IntakeKind = (typeof INTAKE_KINDS)[number];

export interface DeploymentSettings {
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

export function deploymentSettings(node: Node): DeploymentSettings {
  return {
    intake: oneOf(node, 'intake', INTAKE_KINDS, 'function-url'),
    intakeReservedConcurrency: positiveInteger(
      node,
      'intakeReservedConcurrency',
      DEFAULT_INTAKE_RESERVED_CONCURRENCY,
      1000,
    ),
  };
}

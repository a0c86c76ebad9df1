/**
 * Monthly cost per 1,000 credentials from the measured counts and AWS's published us-east-1 prices
 * (checked 2026-11): Step Functions Standard $0.025 per 1,000 state transitions; Lambda arm64
 * $0.20 per million requests and $0.0000133334 per GB-second; Secrets Manager $0.40 per secret per
 * month and $0.05 per 10,000 API calls; KMS $0.03 per 10,000 requests (counted on every Secrets
 * Manager call, on both sides, though only reads and writes of a value use the key); EventBridge
 * Scheduler $1.00 per million invocations.
 */
import type { OperationCounts } from './operations.ts';

const PRICES = {
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecond: 0.0000133334,
  secretMonth: 0.4,
  secretsApiCall: 0.05 / 10_000,
  kmsRequest: 0.03 / 10_000,
  schedulerInvocation: 1 / 1_000_000,
} as const;

/** What the stack configures for every function. */
const LAMBDA_MEMORY_GB = 256 / 1024;

/**
 * Secrets Manager's own rotation of the same credential, by its alternating-users rotation function
 * (a second user takes over while the first keeps working, as this system's twin users do):
 * aws-samples/aws-secrets-manager-rotation-lambdas,
 * SecretsManagerRDSPostgreSQLRotationMultiUser/lambda_function.py. One invocation per step, each
 * starting with DescribeSecret (4); createSecret GetSecretValue of AWSCURRENT and AWSPENDING,
 * GetRandomPassword, PutSecretValue (4); setSecret GetSecretValue of AWSCURRENT, AWSPENDING and
 * the admin's secret (3); testSecret GetSecretValue of AWSPENDING (1); finishSecret DescribeSecret
 * and UpdateSecretVersionStage (2). Both users live in one secret; the schedule is Secrets
 * Manager's own, not billed.
 */
const NATIVE_ROTATION = { invocations: 4, secretsCalls: 14, secretsPerCredential: 1 } as const;

/** One rotation's cost, item by item (dollars). */
export interface RotationCost {
  readonly stateTransitions: number;
  readonly lambda: number;
  readonly secretsCalls: number;
  readonly scheduler: number;
}

export function total(cost: RotationCost): number {
  return cost.stateTransitions + cost.lambda + cost.secretsCalls + cost.scheduler;
}

const lambdaCost = (invocations: number, ms: number) =>
  invocations * PRICES.lambdaRequest + (ms / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecond;
const secretsCallsCost = (calls: number) => calls * (PRICES.secretsApiCall + PRICES.kmsRequest);

export function perRotation(counts: OperationCounts): RotationCost {
  return {
    stateTransitions: counts.stateTransitions * PRICES.stateTransition,
    lambda: lambdaCost(counts.lambdaInvocations, counts.lambdaMs),
    secretsCalls: secretsCallsCost(counts.secretsReads + counts.secretsWrites),
    scheduler: PRICES.schedulerInvocation,
  };
}

/** The same rotation by Secrets Manager's rotation function, at the same per-invocation duration. */
export function perNativeRotation(counts: OperationCounts): RotationCost {
  const msPerInvocation = counts.lambdaInvocations ? counts.lambdaMs / counts.lambdaInvocations : 0;
  return {
    stateTransitions: 0,
    lambda: lambdaCost(NATIVE_ROTATION.invocations, NATIVE_ROTATION.invocations * msPerInvocation),
    secretsCalls: secretsCallsCost(NATIVE_ROTATION.secretsCalls),
    scheduler: 0,
  };
}

const ROTATIONS_PER_MONTH = { daily: 30.44, weekly: 30.44 / 7 } as const;
export type Cadence = keyof typeof ROTATIONS_PER_MONTH;

/** Dollars per month for 1,000 credentials: the secrets each keeps, plus the rotations at that cadence. */
function monthlyPerThousand(rotation: RotationCost, secretsPerCredential: number, cadence: Cadence): number {
  return 1000 * (secretsPerCredential * PRICES.secretMonth + ROTATIONS_PER_MONTH[cadence] * total(rotation));
}

/** A credential of one product as measured: its rotation's counts and the secrets its provision left. */
export interface MeasuredCredential {
  readonly rotate: OperationCounts;
  readonly secretsKept: number;
}

/**
 * This system and Secrets Manager's own rotation per 1,000 credentials per month, over a product
 * mix: each product weighs its share of the credentials.
 */
export function mixPerThousand(
  mix: readonly { readonly credential: MeasuredCredential; readonly share: number }[],
  cadence: Cadence,
): { provisioner: number; secretsManagerRotation: number } {
  let provisioner = 0;
  let secretsManagerRotation = 0;
  for (const { credential, share } of mix) {
    provisioner +=
      share * monthlyPerThousand(perRotation(credential.rotate), credential.secretsKept, cadence);
    secretsManagerRotation +=
      share *
      monthlyPerThousand(perNativeRotation(credential.rotate), NATIVE_ROTATION.secretsPerCredential, cadence);
  }
  return { provisioner, secretsManagerRotation };
}

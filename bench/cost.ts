/**
 * Monthly cost per 1,000 credentials from the measured counts and AWS's published us-east-1 prices
 * (checked 2026-11): Step Functions Standard $0.025 per 1,000 state transitions; Lambda arm64
 * $0.20 per million requests and $0.0000133334 per GB-second; Secrets Manager $0.40 per secret per
 * month and $0.05 per 10,000 API calls; KMS $0.03 per 10,000 requests (one per secret read or
 * write under a customer managed key); EventBridge Scheduler $1.00 per million invocations.
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

/** Secrets Manager's own rotation: one Lambda invoked once per step (createSecret, setSecret, testSecret, finishSecret). */
const NATIVE_ROTATION = { invocations: 4, secretsCalls: 9 } as const;

export function perRotation(counts: OperationCounts): number {
  const secretsCalls = counts.secretsReads + counts.secretsWrites;
  return (
    counts.stateTransitions * PRICES.stateTransition +
    counts.lambdaInvocations * PRICES.lambdaRequest +
    (counts.lambdaMs / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecond +
    secretsCalls * (PRICES.secretsApiCall + PRICES.kmsRequest) +
    PRICES.schedulerInvocation
  );
}

/** The same rotation by Secrets Manager's rotation Lambda, at the same per-invocation duration. */
export function perNativeRotation(counts: OperationCounts): number {
  const msPerInvocation = counts.lambdaInvocations ? counts.lambdaMs / counts.lambdaInvocations : 0;
  return (
    NATIVE_ROTATION.invocations *
      (PRICES.lambdaRequest + (msPerInvocation / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecond) +
    NATIVE_ROTATION.secretsCalls * (PRICES.secretsApiCall + PRICES.kmsRequest)
  );
}

export const ROTATIONS_PER_MONTH = { daily: 30.44, weekly: 30.44 / 7 } as const;

/** Dollars per month for 1,000 credentials: storage plus the rotations at that cadence. */
export function monthlyPerThousand(rotationCost: number, cadence: keyof typeof ROTATIONS_PER_MONTH): number {
  return 1000 * (PRICES.secretMonth + ROTATIONS_PER_MONTH[cadence] * rotationCost);
}

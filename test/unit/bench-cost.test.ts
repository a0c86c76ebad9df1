/** The benchmark's cost model (bench/cost.ts): AWS's us-east-1 prices over measured counts. */
import { describe, expect, it } from 'vitest';
import { mixPerThousand, perNativeRotation, perRotation, total } from '../../bench/cost.ts';
import type { OperationCounts } from '../../bench/operations.ts';

const rotate: OperationCounts = {
  vendorCalls: 5,
  secretsReads: 16,
  secretsWrites: 3,
  stateTransitions: 10,
  lambdaInvocations: 7,
  lambdaMs: 700,
  secretsKept: 0,
};

describe('bench cost', () => {
  it('prices a rotation item by item: transitions, Lambda, Secrets Manager calls with their KMS request, the schedule', () => {
    // Act
    const cost = perRotation(rotate);
    // Assess: 10 × $0.025 / 1,000; 7 × $0.20 / million + 0.7 s × 0.25 GB × $0.0000133334; 19 × ($0.05 + $0.03) / 10,000.
    expect(cost.stateTransitions).toBeCloseTo(0.00025, 10);
    expect(cost.lambda).toBeCloseTo(0.0000014 + 0.7 * 0.25 * 0.0000133334, 10);
    expect(cost.secretsCalls).toBeCloseTo(0.000152, 10);
    expect(cost.scheduler).toBeCloseTo(0.000001, 10);
  });

  it('prices Secrets Manager’s own rotation as its alternating-users function calls: 4 invocations, 14 calls', () => {
    // Act
    const native = perNativeRotation(rotate);
    // Assess: 4 invocations of 100 ms each (the measured mean), 14 calls.
    expect(native.lambda).toBeCloseTo(4 * 0.0000002 + 0.4 * 0.25 * 0.0000133334, 10);
    expect(native.secretsCalls).toBeCloseTo(0.000112, 10);
    expect(native.stateTransitions + native.scheduler).toBe(0);
  });

  it('stores every secret a credential keeps, against one for Secrets Manager’s rotation, and weighs the mix by shares', () => {
    // Prepare
    const one = { rotate, secretsKept: 1 };
    const two = { rotate, secretsKept: 2 };
    // Act
    const single = mixPerThousand([{ credential: one, share: 1 }], 'weekly');
    const mixed = mixPerThousand(
      [
        { credential: one, share: 0.5 },
        { credential: two, share: 0.5 },
      ],
      'weekly',
    );
    // Assess: the second secret adds $0.40 a month to half of 1,000 credentials; the comparator keeps one.
    expect(single.provisioner).toBeCloseTo(400 + 1000 * (30.44 / 7) * total(perRotation(rotate)), 6);
    expect(mixed.provisioner - single.provisioner).toBeCloseTo(200, 6);
    expect(mixed.secretsManagerRotation).toBeCloseTo(single.secretsManagerRotation, 6);
  });
});

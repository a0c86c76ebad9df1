import { describe, expect, it } from 'vitest';
import { SECRETS_CLIENT_RETRIES } from '#core/aws-clients.ts';

const strategy = SECRETS_CLIENT_RETRIES.retryStrategy;
const throttled = { errorType: 'THROTTLING' } as const;

describe('SECRETS_CLIENT_RETRIES', () => {
  it('retries throttling at a random moment within the next second, at most 8 attempts in all', async () => {
    // Prepare
    let token = await strategy.acquireInitialRetryToken('secretsmanager');
    const delays: number[] = [];
    // Act
    for (let retry = 1; retry < 8; retry += 1) {
      token = await strategy.refreshRetryTokenForRetry(token, throttled);
      delays.push(token.getRetryDelay());
    }
    // Assess
    expect(token.getRetryCount()).toBe(7);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThan(1000);
    }
    await expect(strategy.refreshRetryTokenForRetry(token, throttled)).rejects.toThrow(/last attempt/);
  });

  it('never retries a client error', async () => {
    const token = await strategy.acquireInitialRetryToken('secretsmanager');
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
  });

  it('keeps no retry quota: thousands of throttled requests on one client all get their retries', async () => {
    // Prepare: the SDK's standard strategy refuses retries once 100 of them went unrefunded.
    const tokens = await Promise.all(
      Array.from({ length: 2000 }, () => strategy.acquireInitialRetryToken('secretsmanager')),
    );
    // Act
    const retried = await Promise.all(tokens.map((t) => strategy.refreshRetryTokenForRetry(t, throttled)));
    // Assess
    expect(retried.every((t) => t.getRetryCount() === 1)).toBe(true);
  });
});

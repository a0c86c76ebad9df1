/**
 * The embedded default's latencies (docs/embedded-default.md, "Latencies and offboarding"): one
 * call sets AWS's on every local AWS endpoint and on Lambda's Invoke, the products' on every
 * simulator, and the cold start; a latency that is not 0 or more milliseconds is refused by name
 * and changes nothing. How each delay waits is tested on fake timers (test/unit/local-latency.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PRODUCTS } from '#core/products/index.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment();

function latencies(running: LocalEnvironment) {
  return {
    aws: [
      running.secretsManager.answerDelay.ms,
      running.stepFunctions.answerDelay.ms,
      running.eventBus.answerDelay.ms,
      running.scheduler.answerDelay.ms,
      running.lambdaTiming.invoke.ms,
    ],
    products: PRODUCTS.map(({ name }) => running[name].faults.answerDelay.ms),
    lambdaStart: running.lambdaTiming.coldStart.ms,
  };
}

describe('the embedded default’s latencies', () => {
  afterEach(() => {
    env.setLatencies({ awsMs: 0, productMs: 0, lambdaStartMs: 0 });
  });

  it('are off by default', () => {
    // Assess
    expect(latencies(env)).toEqual({ aws: [0, 0, 0, 0, 0], products: PRODUCTS.map(() => 0), lambdaStart: 0 });
  });

  it('set AWS’s on every AWS endpoint and Lambda’s Invoke, the products’ on every simulator', () => {
    // Act
    env.setLatencies({ awsMs: 20, productMs: 50, lambdaStartMs: 130 });
    // Assess
    expect(latencies(env)).toEqual({
      aws: [20, 20, 20, 20, 20],
      products: PRODUCTS.map(() => 50),
      lambdaStart: 130,
    });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s ms by name and changes nothing', (ms) => {
    // Prepare
    env.setLatencies({ awsMs: 20 });
    // Act, Assess
    expect(() => env.setLatencies({ productMs: 50, awsMs: ms })).toThrow(
      `latency awsMs must be 0 or more milliseconds, not ${ms}`,
    );
    expect(latencies(env).aws).toEqual([20, 20, 20, 20, 20]);
    expect(latencies(env).products).toEqual(PRODUCTS.map(() => 0));
  });
});

/**
 * The latencies the embedded default can add (issue 18, item 2): each waits exactly what it is set
 * to, on fake timers, and nothing when it is 0. A Lambda invocation takes a cold start only where
 * no idle execution environment of its function is left (Lambda Developer Guide, "Understanding
 * the Lambda execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
 */
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnswerDelay } from '#local/answer-delay.ts';
import { startAwsJsonServer } from '#local/aws-json-server.ts';
import { LambdaTiming } from '#local/lambda-runtime.ts';
import { FaultInjector } from '#local/simulator-kit.ts';

/** Milliseconds of the fake clock until the promise settles, stepped 1 ms at a time. */
async function msUntil<T>(promise: Promise<T>): Promise<{ ms: number; value: T }> {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  let ms = 0;
  await vi.advanceTimersByTimeAsync(0);
  while (!state.settled) {
    if (ms > 10_000) throw new Error('still waiting after 10 s of the fake clock');
    await vi.advanceTimersByTimeAsync(1);
    ms += 1;
  }
  return { ms, value: state.value as T };
}

/** Turns of the real event loop until the fake clock holds a timer (a server got its request). */
async function untilTimerScheduled(): Promise<void> {
  while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));
}

describe('the embedded default’s latencies', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an answer delay waits its milliseconds', async () => {
    // Prepare
    const delay = new AnswerDelay();
    delay.ms = 20;
    // Act
    const { ms } = await msUntil(delay.wait());
    // Assess
    expect(ms).toBe(20);
  });

  it('an answer delay of 0 sets no timer', async () => {
    // Act
    await new AnswerDelay().wait();
    // Assess
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a product waits its own latency, and a latency fault’s on top', async () => {
    // Prepare
    const faults = new FaultInjector();
    faults.answerDelay.ms = 50;
    // Act
    const { ms } = await msUntil(faults.delay({ kind: 'latency', latencyMs: 100 }));
    // Assess
    expect(ms).toBe(150);
  });

  it('an AWS JSON endpoint runs the call only once its answer delay has passed', async () => {
    // Prepare
    let ran = false;
    const server = await startAwsJsonServer({
      targetPrefix: 'secretsmanager',
      jsonVersion: '1.1',
      operations: {
        ListSecrets: () => {
          ran = true;
          return { SecretList: [] };
        },
      },
    });
    server.answerDelay.ms = 20;
    try {
      // Act
      const answered = new Promise<number>((resolve, reject) => {
        const call = request(
          `${server.url}/`,
          { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.ListSecrets' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        call.on('error', reject);
        call.end('{}');
      });
      await untilTimerScheduled();
      await vi.advanceTimersByTimeAsync(19);
      const ranEarly = ran;
      await vi.advanceTimersByTimeAsync(1);
      // Assess
      expect(ranEarly).toBe(false);
      expect(await answered).toBe(200);
      expect(ran).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a Lambda invocation starts cold only where no environment of its function is idle', async () => {
    // Prepare
    const timing = new LambdaTiming();
    timing.invoke.ms = 20;
    timing.coldStart.ms = 100;
    // Act
    const first = await msUntil(timing.start('prove-revoked'));
    first.value();
    const warm = await msUntil(timing.start('prove-revoked'));
    // The warm environment is still busy: the next call of the function, and another function's, start one each.
    const busyAndOther = await msUntil(
      Promise.all([timing.start('prove-revoked'), timing.start('retire-credential')]),
    );
    // Assess
    expect(first.ms).toBe(120);
    expect(warm.ms).toBe(20);
    expect(busyAndOther.ms).toBe(120);
    expect(timing.coldStarts).toBe(3);
  });
});

/**
 * The local environment for one test file: started before its first test (instant Wait states and
 * retries, the handlers' log lines captured), faults cleared before each test, closed after the last.
 *
 *   const { env, logs } = useLocalEnvironment({
 *     targets: async (env) => {
 *       await env.registerTarget('fortios', 'fgt');
 *     },
 *   });
 *
 * Call it at the top of the file: `env` and `logs` stand for the running environment and its log
 * capture from the first `beforeAll` on, so the file's own helpers can use them at module level.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { PRODUCTS } from '#core/products/index.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { captureLambdaLogs, type LogCapture } from '#local/log-capture.ts';

export interface LocalEnvironmentSetup {
  /** Registers the file's targets once the environment runs (kept as `env.register…` calls). */
  readonly targets?: (env: LocalEnvironment) => Promise<unknown>;
  /** Process environment variables the handlers read, set before the start and restored after the close. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Milliseconds until an unanswered callback task times out, restored before each test (default: none). */
  readonly callbackTimeoutOverrideMs?: number;
  /** ListSecrets' lag behind writes, in milliseconds of the local Secrets Manager's clock (default: none). */
  readonly listingLagMs?: number;
}

/** Starts, resets and closes the local environment around the calling file's tests. */
export function useLocalEnvironment(setup: LocalEnvironmentSetup = {}): {
  env: LocalEnvironment;
  logs: LogCapture;
} {
  let running: LocalEnvironment | undefined;
  let capture: LogCapture | undefined;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    capture = captureLambdaLogs();
    for (const [name, value] of Object.entries(setup.variables ?? {})) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
    running = await startLocalEnvironment({
      waitOverrideMs: 0,
      retryOverrideMs: 0,
      listingLagMs: setup.listingLagMs,
    });
    running.stepFunctions.service.callbackTimeoutOverrideMs = setup.callbackTimeoutOverrideMs;
    await setup.targets?.(running);
  });

  beforeEach(() => {
    if (!running) return;
    clearFaults(running);
    running.stepFunctions.service.callbackTimeoutOverrideMs = setup.callbackTimeoutOverrideMs;
  });

  afterAll(async () => {
    capture?.stop();
    await running?.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  return {
    env: lateBound('the local environment', () => running),
    logs: {
      get lines() {
        return capture?.lines ?? [];
      },
      stop: () => capture?.stop(),
    },
  };
}

/** Every fault a test may leave armed: at the Lambdas, at the products, at Secrets Manager. */
function clearFaults(env: LocalEnvironment): void {
  env.lambdaFaults.clear();
  for (const { name } of PRODUCTS) env[name].faults.clear();
  env.secretsManager.store.injectFailure('ThrottlingException', 0);
}

/** An object that forwards to the value `current` returns, once there is one. */
function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  const resolve = (): T => {
    const value = current();
    if (!value) throw new Error(`${what} is used before its beforeAll hook started it`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_, property) => Reflect.get(resolve(), property),
    set: (_, property, value) => Reflect.set(resolve(), property, value),
    has: (_, property) => Reflect.has(resolve(), property),
    ownKeys: () => Reflect.ownKeys(resolve()),
    getOwnPropertyDescriptor: (_, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(resolve(), property);
      // A proxy may only report an own property as non-configurable if its target has it so.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

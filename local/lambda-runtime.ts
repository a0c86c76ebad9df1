/**
 * Runs the real handler modules in this process as Lambda would: the payload goes through JSON
 * (as it does over the Invoke API), the handler gets a Lambda context, and an error keeps its
 * name so Step Functions Retry / Catch match it as they would match Lambda's errorType.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { AnswerDelay } from './answer-delay.ts';
import { localFunctionArn } from './endpoints.ts';
import type { Session } from './iam/account.ts';
import { runAsSession } from './iam/caller.ts';
import { handlerIdFromFunctionArn } from './synth.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const HANDLER_ID = /^[a-z][a-z0-9-]{1,62}$/;
const loaded = new Map<string, Promise<Handler>>();

async function loadHandler(id: string): Promise<Handler> {
  if (!HANDLER_ID.test(id)) throw new Error(`not a handler id: ${id}`);
  let handler = loaded.get(id);
  if (!handler) {
    handler = import(`../lambdas/handlers/${id}.ts`).then((module: { handler?: Handler }) => {
      if (typeof module.handler !== 'function')
        throw new Error(`lambdas/handlers/${id}.ts exports no handler`);
      return module.handler;
    });
    loaded.set(id, handler);
  }
  return handler;
}

/** The context Lambda hands an invocation: its function, its time left, its request id. */
export function lambdaContext(
  functionName: string,
  timeoutMs: number,
  requestId: string = randomUUID(),
): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export interface LocalInvocation {
  readonly handlerId: string;
  readonly outcome: 'ok' | 'error';
  readonly errorName?: string;
}

/**
 * The JSON error document Lambda's Node.js runtime answers for an error the handler throws:
 * `errorType` (the error's name), `errorMessage` and `trace`, the stack split into lines
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html). Step Functions hands it
 * on as the failed Task's Cause, so its size is the real one, stack lines included.
 */
export interface LambdaErrorDocument {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** A handler's error as its caller receives it: named by errorType, carrying Lambda's error document. */
export class LambdaFunctionError extends Error {
  readonly document: LambdaErrorDocument;

  constructor(error: unknown) {
    const thrown = error instanceof Error ? error : new Error(String(error));
    super(thrown.message);
    this.name = thrown.name;
    this.document = {
      errorType: thrown.name,
      errorMessage: thrown.message,
      trace: (thrown.stack ?? `${thrown.name}: ${thrown.message}`).split('\n'),
    };
  }
}

/**
 * The error a Task state fails with when Lambda throttles its invoke: the AWS Step Functions
 * Developer Guide ("Handle Lambda service exceptions") names it; the Lambda API reference (Invoke,
 * Errors) answers TooManyRequestsException, HTTP 429, without running the function.
 */
const LAMBDA_THROTTLED_ERROR = 'Lambda.TooManyRequestsException';

/**
 * Faults of the Lambda platform itself, for tests: a function that fails before it runs (a
 * throttled invoke among them), or that dies after its work committed (the answer is lost, as
 * when a Lambda times out after a vendor call).
 */
export class LambdaFaults {
  private readonly planned = new Map<
    string,
    { phase: 'before' | 'after'; errorName: string; times: number }
  >();

  /** Lambda refuses the next `times` invokes of `handlerId` for lack of concurrency: the handler never runs. */
  throttle(handlerId: string, times: number): void {
    this.inject(handlerId, 'before', { errorName: LAMBDA_THROTTLED_ERROR, times });
  }

  inject(
    handlerId: string,
    phase: 'before' | 'after',
    options: { errorName?: string; times?: number } = {},
  ): void {
    this.planned.set(handlerId, {
      phase,
      errorName: options.errorName ?? 'Lambda.ServiceException',
      times: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  /** Runs before every invocation (tests: a consumer that calls the product between workflow steps). */
  beforeEach: ((handlerId: string) => Promise<void>) | undefined;

  clear(): void {
    this.planned.clear();
    this.beforeEach = undefined;
  }

  /** Throws when a fault is planned for this handler and phase. */
  check(handlerId: string, phase: 'before' | 'after'): void {
    const fault = this.planned.get(handlerId);
    if (!fault || fault.phase !== phase || fault.times <= 0) return;
    fault.times -= 1;
    const what = phase === 'after' ? 'failure after the work committed' : 'failure';
    const error = new Error(`injected ${what} in ${handlerId}`);
    error.name = fault.errorName;
    throw error;
  }
}

/**
 * Lambda's own time around a handler: the Invoke call's round trip (Step Functions and EventBridge
 * call Lambda's API), and a cold start when no idle execution environment of the function is left:
 * Lambda runs one invocation per environment at a time and creates a new one, running its module
 * initialization, for an invocation that finds none idle (Lambda Developer Guide, "Understanding
 * the Lambda execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). Environments are
 * kept for the whole run (Lambda recycles idle ones after some minutes). Both off by default.
 */
export class LambdaTiming {
  readonly invoke = new AnswerDelay();
  readonly coldStart = new AnswerDelay();
  /** Invocations that found no idle environment of their function. */
  coldStarts = 0;
  private readonly idle = new Map<string, number>();

  /** Waits what Lambda takes before the handler runs; the returned release frees its environment. */
  async start(handlerId: string): Promise<() => void> {
    await this.invoke.wait();
    const idle = this.idle.get(handlerId) ?? 0;
    if (idle > 0) {
      this.idle.set(handlerId, idle - 1);
    } else {
      this.coldStarts += 1;
      await this.coldStart.wait();
    }
    return () => this.idle.set(handlerId, (this.idle.get(handlerId) ?? 0) + 1);
  }
}

export interface LocalInvokerOptions {
  readonly timeoutMs?: number;
  /** Observes each call (bench, tests). */
  readonly onInvoke?: (call: LocalInvocation) => void;
  readonly faults?: LambdaFaults;
  /** The session each function's invocations call AWS as (its execution role, local/iam). */
  readonly sessionOf?: (functionArn: string) => Session;
  readonly timing?: LambdaTiming;
  /** The handler module a function runs (default: the one its ARN names). */
  readonly handlerIdOf?: (functionArn: string) => string;
}

/** Invokes `lambdas/handlers/<id>.ts` for a function ARN. */
export function createLocalInvoker(options: LocalInvokerOptions = {}) {
  return async (functionArn: string, payload: unknown): Promise<unknown> => {
    const handlerId = (options.handlerIdOf ?? handlerIdFromFunctionArn)(functionArn);
    const handler = await loadHandler(handlerId);
    const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    await options.faults?.beforeEach?.(handlerId);
    const release = await options.timing?.start(handlerId);
    try {
      // A platform fault is Lambda's own error, not the function's: it carries no error document.
      options.faults?.check(handlerId, 'before');
      const context = lambdaContext(handlerId, options.timeoutMs ?? 30_000);
      const session = options.sessionOf?.(functionArn);
      let result: unknown;
      try {
        result = await (session
          ? runAsSession(session, () => handler(event, context))
          : handler(event, context));
      } catch (error) {
        throw new LambdaFunctionError(error);
      }
      options.faults?.check(handlerId, 'after');
      options.onInvoke?.({ handlerId, outcome: 'ok' });
      return JSON.parse(JSON.stringify(result ?? null)) as unknown;
    } catch (error) {
      options.onInvoke?.({ handlerId, outcome: 'error', errorName: (error as Error).name });
      throw error;
    } finally {
      release?.();
    }
  };
}

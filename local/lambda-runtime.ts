/**
 * Runs the real handler modules in this process as Lambda would: the payload goes through JSON
 * (as it does over the Invoke API), the handler gets a Lambda context, and an error keeps its
 * name so Step Functions Retry / Catch match it as they would match Lambda's errorType.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
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

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
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

/** Invokes `lambdas/handlers/<id>.ts` for a function ARN; `onInvoke` observes each call (bench, tests). */
export function createLocalInvoker(
  options: { timeoutMs?: number; onInvoke?: (call: LocalInvocation) => void } = {},
) {
  return async (functionArn: string, payload: unknown): Promise<unknown> => {
    const handlerId = handlerIdFromFunctionArn(functionArn);
    const handler = await loadHandler(handlerId);
    const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    try {
      const result = await handler(event, lambdaContext(handlerId, options.timeoutMs ?? 30_000));
      options.onInvoke?.({ handlerId, outcome: 'ok' });
      return JSON.parse(JSON.stringify(result ?? null)) as unknown;
    } catch (error) {
      options.onInvoke?.({ handlerId, outcome: 'error', errorName: (error as Error).name });
      throw error;
    }
  };
}

/** The Lambda context a handler unit test passes: a fixed request id, 30 seconds left, nothing else. */
import type { Context } from 'aws-lambda';
import { localFunctionArn } from '#local/endpoints.ts';

function fakeLambdaContext(overrides: Partial<Context> = {}): Context {
  const functionName = overrides.functionName ?? 'test';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
    ...overrides,
  };
}

/** The shared context of handler unit tests. */
export const lambdaContext: Context = fakeLambdaContext();

/** The Lambda context handler unit tests pass: the local runtime's, with a fixed request id and 30 seconds. */
import type { Context } from 'aws-lambda';
import { lambdaContext as localLambdaContext } from '#local/lambda-runtime.ts';

export const lambdaContext: Context = localLambdaContext('test', 30_000, 'req-1');

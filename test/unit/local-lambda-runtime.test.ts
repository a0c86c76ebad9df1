/**
 * The local Lambda runtime (local/lambda-runtime.ts): a handler's thrown error reaches the caller
 * as the error document Lambda's Node.js runtime builds, and a platform fault as Lambda's own error.
 */
import { describe, expect, it } from 'vitest';
import { localFunctionArn } from '#local/endpoints.ts';
import { createLocalInvoker, LambdaFaults, LambdaFunctionError } from '#local/lambda-runtime.ts';

describe('local Lambda runtime', () => {
  it('a thrown error becomes the Node.js runtime’s error document: errorType, errorMessage and the stack as trace', async () => {
    // Prepare: ReportDrift fails on an input it cannot parse.
    const invoke = createLocalInvoker();
    // Act
    const error = await invoke(localFunctionArn('report-drift'), { not: 'a drift report' }).catch(
      (e: unknown) => e,
    );
    // Assess: the shape of https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
    // ({"errorType","errorMessage","trace":["Type: message","    at ...",...]}), the stack lines included.
    expect(error).toBeInstanceOf(LambdaFunctionError);
    const { document } = error as LambdaFunctionError;
    expect(Object.keys(document)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect((error as Error).name).toBe(document.errorType);
    expect(document.trace[0]).toBe(`${document.errorType}: ${document.errorMessage}`);
    expect(document.trace.length).toBeGreaterThan(3);
    expect(document.trace.slice(1).every((line) => line.startsWith('    at '))).toBe(true);
  });

  it('a throttled invoke is Lambda’s error, not the function’s: no error document', async () => {
    // Prepare
    const faults = new LambdaFaults();
    faults.throttle('report-drift', 1);
    const invoke = createLocalInvoker({ faults });
    // Act
    const error = await invoke(localFunctionArn('report-drift'), {}).catch((e: unknown) => e);
    // Assess
    expect(error).not.toBeInstanceOf(LambdaFunctionError);
    expect(error).toMatchObject({ name: 'Lambda.TooManyRequestsException' });
  });
});

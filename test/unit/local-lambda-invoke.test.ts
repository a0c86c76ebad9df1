/**
 * The local Lambda Invoke API (local/lambda-invoke.ts) as the real `@aws-sdk/client-lambda` meets it.
 * Each answer follows the Invoke API reference (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)
 * or LocalStack's AWS-validated snapshots (github:localstack/localstack
 * tests/aws/services/lambda_/test_lambda.snapshot.json), named beside each test.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaClient } from '#core/aws-clients.ts';
import { AwsServiceError } from '#local/aws-json-server.ts';
import { localFunctionArn } from '#local/endpoints.ts';
import { MAX_INVOKE_REQUEST_BYTES, startLocalLambda } from '#local/lambda-invoke.ts';
import { createLocalInvoker } from '#local/lambda-runtime.ts';
import { failure } from '../failure.ts';

const denied = localFunctionArn('report-revocation');

describe('local Lambda Invoke API', () => {
  let lambda: Awaited<ReturnType<typeof startLocalLambda>>;
  let client: LambdaClient;
  const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

  beforeAll(async () => {
    lambda = await startLocalLambda({
      functionNames: new Set(['report-drift', 'report-revocation']),
      invoke: createLocalInvoker(),
      authorize: ({ functionArn }) => {
        if (functionArn === denied)
          throw new AwsServiceError(
            'AccessDeniedException',
            `User: arn:aws:sts::000000000000:assumed-role/local-operator/local is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no identity-based policy allows the lambda:InvokeFunction action`,
          );
      },
    });
    client = lambdaClient({
      region: 'us-east-1',
      endpoint: lambda.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await lambda.close();
  });

  it('an unknown function is ResourceNotFoundException, HTTP 404, named as its $LATEST version', async () => {
    // Act
    const error = await failure(
      client.send(new InvokeCommand({ FunctionName: 'doesnotexist', Payload: '{}' })),
    );
    // Assess: LocalStack's snapshot test_lambda.py::TestLambdaFeatures::test_invoke_exceptions (recorded 24-11-2025).
    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: ${localFunctionArn('doesnotexist')}:$LATEST`,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('a handler’s error is a 200 with X-Amz-Function-Error: Unhandled and the runtime’s {errorType, errorMessage}', async () => {
    // Act: ReportDrift refuses an input it cannot parse.
    const answer = await client.send(
      new InvokeCommand({ FunctionName: 'report-drift', Payload: '{"not":"a drift report"}' }),
    );
    // Assess: LocalStack's snapshot test_lambda.py::TestLambdaErrors::test_lambda_runtime_error
    // ("FunctionError": "Unhandled", "StatusCode": 200, the payload's errorType and errorMessage).
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe('Unhandled');
    expect(answer.ExecutedVersion).toBe('$LATEST');
    const document = JSON.parse(text(answer.Payload)) as Record<string, unknown>;
    expect(document).toMatchObject({ errorType: 'ValidationError', errorMessage: expect.any(String) });
  });

  it('a function’s ARN and partial ARN invoke it as its name does', async () => {
    // Act
    const answers = await Promise.all(
      [localFunctionArn('report-drift'), '000000000000:function:report-drift'].map((FunctionName) =>
        client.send(new InvokeCommand({ FunctionName, Payload: '{}' })),
      ),
    );
    // Assess: both reach the function (its own refusal of an empty report, not Lambda's).
    expect(answers.map((a) => a.FunctionError)).toEqual(['Unhandled', 'Unhandled']);
  });

  it('a request payload over 6 MB is RequestTooLargeException, HTTP 413, and nothing runs', async () => {
    // Act
    const payload = JSON.stringify({ pad: 'x'.repeat(MAX_INVOKE_REQUEST_BYTES) });
    const error = await failure(
      client.send(new InvokeCommand({ FunctionName: 'report-drift', Payload: payload })),
    );
    // Assess: the Invoke API reference (RequestTooLargeException, HTTP 413) and Lambda's quotas
    // (6 MB synchronous request payload), in Lambda's words.
    expect(error).toMatchObject({
      name: 'RequestTooLargeException',
      message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      $metadata: { httpStatusCode: 413 },
    });
  });

  it('a caller without lambda:InvokeFunction on the function is AccessDeniedException, HTTP 403', async () => {
    // Act
    const error = await failure(
      client.send(new InvokeCommand({ FunctionName: 'report-revocation', Payload: '{}' })),
    );
    // Assess: the Invoke API reference lists no AccessDenied, but Lambda answers IAM refusals with it, HTTP 403
    // (Lambda Developer Guide, "Troubleshoot invocation issues": "... is not authorized to perform: lambda:InvokeFunction").
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toContain('not authorized to perform: lambda:InvokeFunction');
  });
});

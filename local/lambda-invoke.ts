/**
 * A loopback Lambda Invoke API (REST-JSON) for the real `@aws-sdk/client-lambda`:
 * `POST /2015-03-31/functions/{FunctionName}/invocations`, synchronous (RequestResponse) only, served
 * by the local runtime (local/lambda-runtime.ts). Its answers are Lambda's
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): the function's result with status
 * 200; a function's error with status 200, `X-Amz-Function-Error: Unhandled` and the runtime's error
 * document; an unknown function `ResourceNotFoundException` (404); a request payload over 6 MB
 * `RequestTooLargeException` (413), before anything runs. The caller needs lambda:InvokeFunction on
 * the function's ARN (local/iam).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsServiceError } from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';
import { LambdaFunctionError } from './lambda-runtime.ts';

/** Lambda's synchronous invocation payload quota: 6 MB (6291456 bytes) of request (Lambda quotas page). */
export const MAX_INVOKE_REQUEST_BYTES = 6 * 1024 * 1024;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** A function name, its ARN, or its partial ARN (`<account>:function:<name>`), as Invoke's FunctionName accepts. */
const FUNCTION_NAME =
  /^(?:(?:arn:aws:lambda:[a-z0-9-]+:)?\d{12}:function:)?([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]+))?$/;

export interface LambdaInvokeCall {
  readonly headers: IncomingHttpHeaders;
  /** The function's ARN, as IAM evaluates lambda:InvokeFunction. */
  readonly functionArn: string;
}

/** The errors Lambda itself answers before or instead of running a function, by the runtime's error name. */
const PLATFORM_ERRORS: Readonly<Record<string, { code: string; status: number }>> = {
  'Lambda.TooManyRequestsException': { code: 'TooManyRequestsException', status: 429 },
};

export async function startLocalLambda(options: {
  port?: number;
  region?: string;
  /** The functions of the stack, by name. */
  functionNames: ReadonlySet<string>;
  invoke: (functionArn: string, payload: unknown) => Promise<unknown>;
  /** Throws AWS's error when the caller may not invoke the function (local/iam). */
  authorize?: (call: LambdaInvokeCall) => void;
}) {
  const region = options.region ?? LOCAL_REGION;
  const arnOf = (name: string) => `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_INVOKE_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
      };
      // Lambda's error shape: the code in x-amzn-ErrorType, `Type` and `Message` in the body.
      const fail = (status: number, code: string, message: string) =>
        send(status, JSON.stringify({ Type: 'User', Message: message }), { 'x-amzn-ErrorType': code });
      if (size > MAX_INVOKE_REQUEST_BYTES) {
        fail(
          413,
          'RequestTooLargeException',
          `Request must be smaller than ${MAX_INVOKE_REQUEST_BYTES} bytes for the InvokeFunction operation`,
        );
        return;
      }
      const url = new URL(req.url ?? '/', 'http://lambda');
      const path = INVOKE_PATH.exec(url.pathname);
      const name = path?.[1] ? FUNCTION_NAME.exec(decodeURIComponent(path[1])) : undefined;
      if (req.method !== 'POST' || !name?.[1]) {
        fail(404, 'UnknownOperationException', 'Unknown operation');
        return;
      }
      const invocationType = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (invocationType !== 'RequestResponse') {
        fail(400, 'InvalidParameterValueException', `only RequestResponse invocations are served locally`);
        return;
      }
      const functionArn = arnOf(name[1]);
      try {
        options.authorize?.({ headers: req.headers, functionArn });
      } catch (error) {
        if (!(error instanceof AwsServiceError)) throw error;
        fail(error.code === 'AccessDeniedException' ? 403 : error.status, error.code, error.message);
        return;
      }
      if (!options.functionNames.has(name[1])) {
        // An unqualified name is reported as its $LATEST version (LocalStack's AWS-validated
        // snapshot tests/aws/services/lambda_/test_lambda.snapshot.json, test_invoke_exceptions, 24-11-2025).
        fail(404, 'ResourceNotFoundException', `Function not found: ${functionArn}:${name[2] ?? '$LATEST'}`);
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let payload: unknown = null;
      try {
        payload = text === '' ? null : JSON.parse(text);
      } catch {
        fail(400, 'InvalidRequestContentException', 'Could not parse request body into json');
        return;
      }
      const executed = { 'x-amz-executed-version': '$LATEST' };
      try {
        send(200, JSON.stringify((await options.invoke(functionArn, payload)) ?? null), executed);
      } catch (error) {
        if (error instanceof LambdaFunctionError) {
          send(200, JSON.stringify(error.document), { ...executed, 'x-amz-function-error': 'Unhandled' });
          return;
        }
        const platform = PLATFORM_ERRORS[(error as Error).name];
        if (platform) fail(platform.status, platform.code, 'Rate Exceeded.');
        else fail(500, 'ServiceException', 'The AWS Lambda service encountered an internal error.');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

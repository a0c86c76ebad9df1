/**
 * A loopback HTTP server speaking the AWS JSON protocol (1.0 / 1.1) that the real AWS SDK v3
 * clients use for Secrets Manager, Step Functions and EventBridge: `POST /` with
 * `X-Amz-Target: <prefix>.<Operation>`, a JSON body, and errors as `{__type, message}`.
 * Signatures are not checked: the server binds to loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnswerDelay } from './answer-delay.ts';

export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** An operation gets the call too: one that acts on several resources authorizes each (BatchGetSecretValue). */
// biome-ignore lint/suspicious/noExplicitAny: operations receive the SDK's JSON input, validated by each operation.
type AwsJsonOperation = (input: any, call: AwsJsonCall) => unknown | Promise<unknown>;

/** One call as the server received it: what IAM evaluates before the operation runs (local/iam). */
export interface AwsJsonCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

export interface AwsJsonServerOptions {
  /** The `X-Amz-Target` prefix, e.g. `secretsmanager` or `AWSStepFunctions`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  readonly operations: Readonly<Record<string, AwsJsonOperation>>;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Largest request body accepted (AWS APIs cap requests; 1 MiB is above every one used here). */
  readonly maxBodyBytes?: number;
  /** Throws AWS's error when the caller may not make this call; runs before the operation. */
  readonly authorize?: (call: AwsJsonCall) => void;
}

export interface RunningServer {
  readonly url: string;
  /** Waited before each call runs and is answered (off by default; the offboarding bench sets AWS's latency). */
  readonly answerDelay: AnswerDelay;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, jsonVersion: string): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': `application/x-amz-json-${jsonVersion}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AwsServiceError('ValidationException', `request body over ${limit} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<RunningServer> {
  const { targetPrefix, jsonVersion, operations } = options;
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const answerDelay = new AnswerDelay();
  const server = createServer(async (req, res) => {
    await answerDelay.wait();
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operationName] = target.split('.');
      if (req.method !== 'POST' || prefix !== targetPrefix || !operationName) {
        throw new AwsServiceError('UnknownOperationException', `unsupported request ${req.method} ${target}`);
      }
      const operation = Object.hasOwn(operations, operationName) ? operations[operationName] : undefined;
      if (!operation)
        throw new AwsServiceError('UnknownOperationException', `${operationName} is not supported here`);
      const text = await readBody(req, limit);
      let input: unknown;
      try {
        input = text ? JSON.parse(text) : {};
      } catch {
        throw new AwsServiceError('SerializationException', 'request body is not JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new AwsServiceError('SerializationException', 'request body must be a JSON object');
      }
      const call = {
        operation: operationName,
        input: input as Record<string, unknown>,
        headers: req.headers,
      };
      options.authorize?.(call);
      send(res, 200, await operation(input, call), jsonVersion);
    } catch (error) {
      if (error instanceof AwsServiceError) {
        send(res, error.status, { __type: error.code, message: error.message }, jsonVersion);
      } else {
        send(res, 500, { __type: 'InternalServiceError', message: 'internal error' }, jsonVersion);
      }
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    answerDelay,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

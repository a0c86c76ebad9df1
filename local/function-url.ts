/**
 * A Lambda function URL on loopback: each HTTP request becomes the function URL event Lambda would
 * build (payload version 2.0, lower-case headers) for the real handler, and its result the response.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { localFunctionArn } from './endpoints.ts';

/** Lambda refuses function URL payloads over 6 MB before the function runs. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export async function startFunctionUrl(options: {
  handlerId: string;
  invoke: (functionArn: string, event: unknown) => Promise<unknown>;
  port?: number;
}) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      if (size > MAX_PAYLOAD_BYTES) {
        res
          .writeHead(413, { 'content-type': 'application/json' })
          .end('{"message":"Request Entity Too Large"}');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://function-url');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k.toLowerCase(),
          Array.isArray(v) ? v.join(',') : (v ?? ''),
        ]),
      );
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        isBase64Encoded: false,
        requestContext: {
          http: { method: req.method ?? 'GET', path: url.pathname, sourceIp: req.socket.remoteAddress ?? '' },
        },
      } as unknown as LambdaFunctionURLEvent;
      try {
        const result = (await options.invoke(
          localFunctionArn(options.handlerId),
          event,
        )) as APIGatewayProxyStructuredResultV2;
        res
          .writeHead(result.statusCode ?? 200, result.headers as Record<string, string>)
          .end(result.body ?? '');
      } catch {
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * httpsJson (lambdas/core/http.ts), the one way every adapter reaches its product: a request stays
 * on its target's origin. Two loopback servers share one certificate, so a request that escaped to
 * the other one would pass TLS and carry its token there; each counts the connections it accepted.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FatalError } from '#core/errors.ts';
import { httpsJson } from '#core/http.ts';
import { loopbackCertificate } from '#local/simulator-kit.ts';

interface CountingServer {
  readonly server: Server;
  readonly port: number;
  connections: number;
}

async function startCountingServer(key: string, cert: string): Promise<CountingServer> {
  const server = createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const counting = { server, port: (server.address() as AddressInfo).port, connections: 0 };
  server.on('secureConnection', () => {
    counting.connections += 1;
  });
  return counting;
}

let caPem: string;
let product: CountingServer;
let other: CountingServer;

beforeAll(async () => {
  const pems = await loopbackCertificate();
  caPem = pems.cert;
  product = await startCountingServer(pems.private, pems.cert);
  other = await startCountingServer(pems.private, pems.cert);
});

afterAll(() => {
  product.server.close();
  other.server.close();
});

const call = (path: string) =>
  httpsJson({
    baseUrl: `https://127.0.0.1:${product.port}/`,
    method: 'GET',
    path,
    headers: { authorization: 'Bearer token-that-must-stay-home' },
    tls: { caPem },
  });

describe('httpsJson keeps every request on its target origin', () => {
  it('sends a plain path to the target', async () => {
    // Act
    const response = await call('/api/v1/status');
    // Assess
    expect(response.status).toBe(200);
    expect(product.connections).toBe(1);
  });

  it.each([
    ['a scheme-relative path', () => `//127.0.0.1:${other.port}/x`],
    ['a backslash the URL parser reads as a slash', () => `/\\127.0.0.1:${other.port}/x`],
    ['an absolute URL', () => `https://127.0.0.1:${other.port}/`],
    ['a dot segment before a scheme-relative path', () => `/..//127.0.0.1:${other.port}/x`],
    ['a dot-dot segment', () => '/api/../admin'],
    ['a percent-encoded dot-dot segment', () => '/api/%2e%2E/admin'],
    ['a relative path', () => 'api/v1/status'],
    ['a query in the path', () => '/api/v1/status?admin=1'],
    ['an absolute URL the parser cannot read', () => 'https://[127.0.0.1/x'],
  ])('refuses %s without sending anything', async (_label, path) => {
    // Prepare
    const before = { product: product.connections, other: other.connections };
    // Act
    const error = await call(path()).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toMatch(/stays on https:\/\/127\.0\.0\.1:\d+/);
    expect((error as Error).message).not.toContain('token-that-must-stay-home');
    expect(other.connections).toBe(before.other);
    expect(product.connections).toBe(before.product);
  });
});

/**
 * httpsJson (lambdas/core/http.ts), the one way every adapter reaches its product: a request stays
 * on its target's origin. Two loopback servers share one certificate, so a request that escaped to
 * the other one would pass TLS and carry its token there; each counts the connections it accepted.
 */
import type { ServerResponse } from 'node:http';
import { createServer, request, type Server, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FatalError } from '#core/errors.ts';
import { httpsJson } from '#core/http.ts';
import { loopbackCertificate } from '#local/simulator-kit.ts';
import { failure } from '../failure.ts';

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
let pemsKey: string;
let product: CountingServer;
let other: CountingServer;

beforeAll(async () => {
  const pems = await loopbackCertificate();
  caPem = pems.cert;
  pemsKey = pems.private;
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

/** A loopback HTTPS server answering every request with `answer`; counts the requests it received. */
async function startAnswering(options: ServerOptions, answer: (res: ServerResponse) => void) {
  let requests = 0;
  const server = createServer(options, (_req, res) => {
    requests += 1;
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, requests: () => requests };
}

describe('httpsJson refuses what a product must not get away with (issue 14)', () => {
  it('refuses a product that speaks TLS 1.1 only, even where the process default would allow it', async () => {
    // Prepare: a TLS 1.1 server, and the process's defaults as `node --tls-min-v1.0` and a lowered
    // OpenSSL security level leave them, so only httpsJson's own minimum stands in the way.
    const pems = await loopbackCertificate();
    const lenient = 'DEFAULT@SECLEVEL=0';
    const old = await startAnswering(
      { key: pems.private, cert: pems.cert, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: lenient },
      (res) => res.end('{"ok":true}'),
    );
    const saved = { min: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS };
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    tls.DEFAULT_CIPHERS = lenient;
    try {
      const lenientStatus = await new Promise<number | undefined>((resolve, reject) =>
        request({ host: '127.0.0.1', port: old.port, ca: pems.cert }, (res) => resolve(res.statusCode))
          .on('error', reject)
          .end(),
      );
      // Act
      const error = await failure(
        httpsJson({
          baseUrl: `https://127.0.0.1:${old.port}/`,
          method: 'GET',
          path: '/status',
          tls: { caPem: pems.cert },
        }),
      );
      // Assess: a client without the minimum reached it; httpsJson did not
      expect(lenientStatus).toBe(200);
      expect(error).toBeInstanceOf(FatalError);
      expect(error.message).toMatch(/TLS handshake refused/);
      expect(old.requests()).toBe(1);
    } finally {
      tls.DEFAULT_MIN_VERSION = saved.min;
      tls.DEFAULT_CIPHERS = saved.ciphers;
      old.server.close();
    }
  });

  it('does not follow a redirect: the answer is the 302, and its Location gets no request', async () => {
    // Prepare
    const connectionsBefore = other.connections;
    const redirecting = await startAnswering({ key: pemsKey, cert: caPem }, (res) => {
      res.writeHead(302, { location: `https://127.0.0.1:${other.port}/steal` });
      res.end();
    });
    // Act
    const answer = await httpsJson({
      baseUrl: `https://127.0.0.1:${redirecting.port}/`,
      method: 'GET',
      path: '/api',
      headers: { authorization: 'Bearer token-that-must-stay-home' },
      tls: { caPem },
    }).finally(() => redirecting.server.close());
    // Assess
    expect(answer.status).toBe(302);
    expect(other.connections).toBe(connectionsBefore);
  });

  it('refuses an answer nested deeper than 64 levels, and reads one of 64', async () => {
    // Prepare: 1,000 levels parse in V8, so only the depth limit refuses them
    let depth = 1000;
    const nesting = await startAnswering({ key: pemsKey, cert: caPem }, (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${'['.repeat(depth)}"x"${']'.repeat(depth)}`);
    });
    const ask = () =>
      httpsJson({
        baseUrl: `https://127.0.0.1:${nesting.port}/`,
        method: 'GET',
        path: '/deep',
        tls: { caPem },
      });
    // Act
    const error = await failure(ask());
    depth = 64;
    const answer = await ask().finally(() => nesting.server.close());
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/answer nested deeper than 64 levels refused/);
    expect(answer.json).toBeDefined();
  });
});

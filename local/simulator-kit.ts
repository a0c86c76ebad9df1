/** What every product simulator shares: a loopback certificate, fault injection, keys, trusted hosts. */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { AnswerDelay } from './answer-delay.ts';

/** A self-signed certificate for 127.0.0.1 / localhost, generated at start (never committed). */
export async function loopbackCertificate() {
  return generate([{ name: 'commonName', value: 'product-simulator' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
}

export interface FaultSpec {
  readonly method?: string;
  readonly pathPrefix?: string;
  /** How many matching requests it hits (default: all until cleared). */
  readonly times?: number;
  readonly kind: 'latency' | '429' | '5xx' | 'drop-after-commit' | HostileKind;
  readonly latencyMs?: number;
}

/**
 * Answers a broken or hostile product might give: HTML where JSON belongs, a body cut short, a body
 * far over any sane size, an error that echoes the caller's credential back, and a `__proto__`
 * object where the answer should be.
 */
export const HOSTILE_KINDS = ['html', 'truncated', 'huge', 'echo', 'proto'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export function hostileAnswer(
  kind: string | undefined,
  authorization: string | undefined,
  body: string,
): { status: number; contentType: string; text: string } | undefined {
  switch (kind) {
    case 'html':
      return { status: 200, contentType: 'text/html', text: '<html><body><h1>Login</h1></body></html>' };
    case 'truncated':
      return { status: 200, contentType: 'application/json', text: '{"status":"success","results":[{"na' };
    case 'huge':
      return {
        status: 200,
        contentType: 'application/json',
        text: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
      };
    case 'echo':
      return {
        status: 400,
        contentType: 'application/json',
        text: JSON.stringify({
          status: 'error',
          ok: false,
          error: 'invalid_request',
          message: `refused credential ${authorization ?? ''} with request ${body}`,
        }),
      };
    case 'proto':
      return {
        status: 200,
        contentType: 'application/json',
        text: '{"__proto__":{"status":"success","access_token":"x","token":"x","results":[]}}',
      };
    default:
      return undefined;
  }
}

/**
 * How many requests a product is asked to handle at once. The peak counts every request that
 * arrived while others were in flight, refused ones included, so it measures the caller's restraint;
 * over `limit` (when set) a request is refused with 429, as an appliance's API does under load.
 */
export class ConcurrencyGate {
  limit: number | undefined;
  inFlight = 0;
  peak = 0;
  refused = 0;

  /** Admits a request (false: over the limit); an admitted one leaves when its response closes. */
  admit(res: { once(event: 'close', listener: () => void): unknown }): boolean {
    this.peak = Math.max(this.peak, this.inFlight + 1);
    if (this.limit !== undefined && this.inFlight >= this.limit) {
      this.refused += 1;
      return false;
    }
    this.inFlight += 1;
    res.once('close', () => {
      this.inFlight -= 1;
    });
    return true;
  }

  /** Starts a new measurement. */
  reset(limit: number | undefined): void {
    this.limit = limit;
    this.peak = 0;
    this.refused = 0;
  }
}

export class FaultInjector {
  private faults: { spec: FaultSpec; left: number }[] = [];
  /** The product's own time for every answer, faults or not (off by default; the offboarding bench sets it). */
  readonly answerDelay = new AnswerDelay();

  /** Waits what this answer takes: the product's own time, and a latency fault's on top. */
  async delay(fault: FaultSpec | undefined): Promise<void> {
    await this.answerDelay.wait();
    if (fault?.kind === 'latency') await new Promise((resolve) => setTimeout(resolve, fault.latencyMs ?? 50));
  }

  inject(spec: FaultSpec): void {
    this.faults.push({ spec, left: spec.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault for this request, counted as used. */
  take(method: string, path: string): FaultSpec | undefined {
    const hit = this.faults.find(
      (f) =>
        f.left > 0 &&
        (!f.spec.method || f.spec.method === method) &&
        (!f.spec.pathPrefix || path.startsWith(f.spec.pathPrefix)),
    );
    if (!hit) return undefined;
    hit.left -= 1;
    return hit.spec;
  }
}

export function newKey(): string {
  // Appliance API keys are 30 characters of letters and digits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(30)].map((b) => alphabet[b % alphabet.length]).join('');
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

/** "10.0.0.0 255.255.255.0" contains the caller's address? */
export function inTrustHost(address: string, trusthost: string): boolean {
  const [net = '', mask = ''] = trusthost.split(' ');
  const m = ipToInt(mask);
  return (ipToInt(address) & m) === (ipToInt(net) & m);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface SimAnswer {
  readonly status: number;
  /** A string is sent as text/plain (or `contentType`), anything else as JSON. */
  readonly body?: unknown;
  readonly contentType?: string;
  /** The change is applied but the connection drops before the answer (with a drop-after-commit fault). */
  readonly commits?: boolean;
}

/**
 * An HTTPS product simulator on loopback with what every one of them shares: a certificate made at
 * start, faults (latency, 429, 5xx, drop after commit) before the product's own rules, a request log.
 */
export async function startHttpsSimulator(
  options: { port?: number },
  handle: (request: SimRequest) => SimAnswer | Promise<SimAnswer>,
) {
  const pems = await loopbackCertificate();
  const faults = new FaultInjector();
  const concurrency = new ConcurrencyGate();
  const requestsLog: { method: string; path: string; status: number }[] = [];
  const server = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://simulator');
    const method = req.method ?? 'GET';
    const send = (answer: SimAnswer) => {
      requestsLog.push({ method, path: url.pathname, status: answer.status });
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      const type =
        answer.contentType ?? (typeof answer.body === 'string' ? 'text/plain' : 'application/json');
      res.writeHead(answer.status, { 'content-type': type });
      res.end(text);
    };
    if (!concurrency.admit(res)) return send({ status: 429, body: { message: 'Too Many Requests' } });
    const fault = faults.take(method, url.pathname);
    await faults.delay(fault);
    if (fault?.kind === '429') return send({ status: 429, body: { message: 'Too Many Requests' } });
    if (fault?.kind === '5xx')
      return send({
        status: 503,
        body: '<html><body>Service Unavailable</body></html>',
        contentType: 'text/html',
      });
    const text = await readBody(req);
    const hostile = hostileAnswer(
      fault?.kind,
      req.headers.authorization ?? String(req.headers.token ?? ''),
      text,
    );
    if (hostile)
      return send({ status: hostile.status, body: hostile.text, contentType: hostile.contentType });
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const answer = await handle({
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      text,
      json,
    });
    if (answer.commits && fault?.kind === 'drop-after-commit') {
      requestsLog.push({ method, path: url.pathname, status: 0 });
      req.socket.destroy();
      return;
    }
    send(answer);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: pems.cert,
    fingerprint: new X509Certificate(pems.cert).fingerprint256.replace(/:/g, ''),
    faults,
    concurrency,
    requestsLog,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Random material in a product's alphabet, for simulated UIs. */
export function randomText(
  length: number,
  alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
) {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

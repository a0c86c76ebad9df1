/**
 * HTTPS to products, with per-target pinning and bounds. There is no switch to skip TLS
 * verification: a target pins its CA (chain and host name checked against that CA only) or the
 * SHA-256 fingerprint of its certificate (the leaf must match exactly); a cloud product without a
 * pin is verified against the platform's trust store.
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect } from 'node:tls';
import { excerpt, FatalError, RetryableError } from './errors.ts';

export interface TlsPin {
  readonly caPem?: string;
  /** SHA-256, upper-case hex without colons. */
  readonly fingerprint?: string;
}

export interface HttpRequest {
  readonly baseUrl: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Absent: the platform's trust store (cloud products); appliances always pin. */
  readonly tls: TlsPin | undefined;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The parsed body when it is JSON, otherwise undefined. */
  readonly json?: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** TLS 1.2 at least, whatever the process's default (`--tls-min-v1.0` lowers Node's). */
const MIN_TLS_VERSION = 'TLSv1.2';
/** No product answer nests deeper; a deeper one would make every reader of it recurse that deep. */
const MAX_JSON_DEPTH = 64;

/** The deepest nesting of objects and arrays in a JSON text (brackets inside strings not counted). */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/**
 * Fingerprint pinning: the socket is handed to HTTP only after its leaf certificate matched the
 * pin, so not one byte of a request (or its token) reaches an impostor.
 */
class FingerprintPinnedAgent extends Agent {
  constructor(private readonly expected: string) {
    super({ keepAlive: false });
  }

  override createConnection(
    options: ConnectionOptions,
    done?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    // The chain of a self-signed product cannot be validated; the exact pin replaces it.
    const socket = connect({ ...options, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const actual = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase();
      if (actual === this.expected) {
        done?.(null, socket);
        return;
      }
      socket.destroy();
      const mismatch = Object.assign(new Error('certificate fingerprint does not match the pin'), {
        code: 'ERR_CERT_PIN_MISMATCH',
      });
      done?.(mismatch, socket);
    });
    socket.once('error', (error) => done?.(error, socket));
    return undefined;
  }
}

function pinOptions(tls: TlsPin | undefined) {
  if (!tls) return { rejectUnauthorized: true, agent: false as const };
  if (tls.caPem) return { ca: tls.caPem, rejectUnauthorized: true, agent: false as const };
  if (tls.fingerprint)
    return { agent: new FingerprintPinnedAgent(tls.fingerprint.replace(/:/g, '').toUpperCase()) };
  throw new FatalError('the target pins neither a CA nor a certificate fingerprint');
}

/**
 * The URL of a request, which stays on its target's origin: the path must come out of the URL
 * parser exactly as given, so a scheme-relative path (`//host`), a backslash read as a slash, an
 * absolute URL, dot segments (also percent-encoded), a query or fragment (`query` carries those)
 * and anything else it would rewrite are refused before a connection is opened.
 */
function targetUrl(req: HttpRequest): URL {
  const base = new URL(req.baseUrl);
  const url = URL.canParse(req.path, base.href) ? new URL(req.path, base) : undefined;
  if (url?.origin !== base.origin || url.pathname !== req.path || url.search || url.hash) {
    throw new FatalError(
      `${req.method} refused: the path ${JSON.stringify(excerpt(req.path, 80))} is no plain absolute path on the target, and every request stays on ${base.origin}`,
    );
  }
  return url;
}

export async function httpsJson(req: HttpRequest): Promise<HttpResponse> {
  const url = targetUrl(req);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const limit = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `${req.method} ${url.host}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const call = httpsRequest(
      url,
      {
        method: req.method,
        headers: {
          accept: 'application/json',
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          ...req.headers,
        },
        timeout: timeoutMs,
        minVersion: MIN_TLS_VERSION,
        ...pinOptions(req.tls),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            res.destroy();
            reject(new FatalError(`${where}: answer over ${limit} bytes refused`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', () =>
          reject(new RetryableError(`${where}: connection lost while reading the answer`)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (/^\s*[[{]/.test(text) && jsonDepth(text) > MAX_JSON_DEPTH) {
            reject(new FatalError(`${where}: answer nested deeper than ${MAX_JSON_DEPTH} levels refused`));
            return;
          }
          let json: unknown;
          try {
            json = text ? JSON.parse(text, withoutPrototypeKeys) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text,
            json,
          });
        });
      },
    );
    call.on('timeout', () => {
      call.destroy();
      reject(new RetryableError(`${where}: timed out after ${timeoutMs} ms`));
    });
    call.on('error', (error: NodeJS.ErrnoException) => {
      if (
        error.code?.startsWith('ERR_TLS') ||
        error.code?.includes('CERT') ||
        error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
      ) {
        reject(
          new FatalError(
            `${where}: TLS pinning refused the product's certificate (${error.code ?? error.message})`,
          ),
        );
      } else if (error.code === 'EPROTO') {
        reject(
          new FatalError(
            `${where}: TLS handshake refused (EPROTO: no TLS 1.2 or later, or no cipher in common)`,
          ),
        );
      } else {
        reject(new RetryableError(`${where}: connection failed (${error.code ?? 'error'})`));
      }
    });
    call.end(body);
  });
}

/** A product's answer never names an object's prototype: such keys are dropped, never merged. */
function withoutPrototypeKeys(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;
}

/** What every product simulator shares: a loopback certificate, fault injection, keys, trusted hosts. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { generate } from 'selfsigned';

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
  readonly kind: 'latency' | '429' | '5xx' | 'drop-after-commit';
  readonly latencyMs?: number;
}

export class FaultInjector {
  private faults: { spec: FaultSpec; left: number }[] = [];

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
  // FortiOS keys are 30 characters of letters and digits.
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

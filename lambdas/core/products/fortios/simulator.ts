/**
 * A FortiOS 7.x REST simulator on loopback HTTPS, an honest model of the vendor document and
 * Vendor facts (README.md beside this file): admin token required, tokens only in the Authorization header, API keys
 * usable only from the user's trusted hosts, `generate-key` replaces the old key and shows the new
 * one once, FortiOS's error envelopes (HTTP 500 with -5 for a duplicate, HTML 401). It can inject
 * faults: latency, 429, 5xx, and a change committed whose answer is lost.
 */
import { X509Certificate } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ConcurrencyGate,
  FaultInjector,
  hostileAnswer,
  inTrustHost,
  loopbackCertificate,
  newKey,
  readBody,
} from '../../../../local/simulator-kit.ts';

export interface SimUser {
  readonly name: string;
  readonly accprofile: string;
  readonly vdom: string[];
  readonly trusthosts: string[];
  readonly comments: string;
  key?: string;
}

export interface FortiOsSimulatorOptions {
  readonly port?: number;
  readonly adminToken?: string;
  /** FortiOS 7.2 answers cli_error as a string, 7.6 as a list of strings. */
  readonly cliErrorStyle?: '7.2' | '7.6';
}

const UNAUTHORIZED_HTML =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>401 Unauthorized</title></head><body><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document requested.</p></body></html>';

export async function startFortiOsSimulator(options: FortiOsSimulatorOptions = {}) {
  const pems = await loopbackCertificate();
  const adminToken = options.adminToken ?? newKey();
  const users = new Map<string, SimUser>();
  const profiles = new Map<string, Record<string, unknown>>([['super_admin', { name: 'super_admin' }]]);
  const requestsLog: { method: string; path: string; status: number }[] = [];
  const faults = new FaultInjector();
  const concurrency = new ConcurrencyGate();
  const style = options.cliErrorStyle ?? '7.2';

  const send = (res: ServerResponse, status: number, body: unknown, log: () => void) => {
    log();
    if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'text/html; charset=iso-8859-1' });
      res.end(body);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (status: number, error?: number, cli?: string) => ({
    http_method: 'POST',
    status: 'error',
    http_status: status,
    ...(error === undefined ? {} : { error }),
    ...(cli === undefined ? {} : { cli_error: style === '7.6' ? [cli] : cli }),
  });
  const ok = (results?: unknown) => ({ http_method: 'GET', status: 'success', http_status: 200, results });

  const server = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fortigate');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let status = 0;
    const log = () => requestsLog.push({ method, path, status });
    const answer = (code: number, body: unknown) => {
      status = code;
      send(res, code, body, log);
    };
    if (!concurrency.admit(res)) return answer(429, fail(429));
    const fault = faults.take(method, path);
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.latencyMs ?? 50));
    if (fault?.kind === '429') return answer(429, fail(429));
    if (fault?.kind === '5xx') return answer(503, '<html><body>Service Unavailable</body></html>');
    const hostile = hostileAnswer(fault?.kind, req.headers.authorization, '');
    if (hostile) {
      status = hostile.status;
      log();
      return void res.writeHead(hostile.status, { 'content-type': hostile.contentType }).end(hostile.text);
    }

    const caller = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    // 7.4.5+ refuses tokens in the URL; only the header counts.
    if (url.searchParams.has('access_token') || !bearer) return answer(401, UNAUTHORIZED_HTML);
    const apiUser =
      bearer === adminToken ? undefined : [...users.values()].find((u) => u.key && u.key === bearer);
    if (bearer !== adminToken && !apiUser?.trusthosts.some((t) => inTrustHost(caller, t))) {
      return answer(401, UNAUTHORIZED_HTML);
    }
    const text = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return answer(400, fail(400, -1, 'invalid JSON'));
    }
    const commit = (code: number, result: unknown) => {
      // The change is applied; the answer is lost (the connection drops).
      if (fault?.kind === 'drop-after-commit') {
        status = 0;
        log();
        req.socket.destroy();
        return;
      }
      answer(code, result);
    };

    if (method === 'GET' && path === '/api/v2/monitor/system/status') {
      return answer(200, ok({ hostname: 'FGT-SIM', model_name: 'FortiGate', version: 'v7.4.8' }));
    }
    if (apiUser) return answer(403, fail(403, -37, 'permission denied'));

    const profileMatch = /^\/api\/v2\/cmdb\/system\/accprofile(?:\/([^/]+))?$/.exec(path);
    if (profileMatch) {
      const name = profileMatch[1] ? decodeURIComponent(profileMatch[1]) : undefined;
      if (method === 'GET' && name) {
        const profile = profiles.get(name);
        return profile ? answer(200, ok([profile])) : answer(404, { status: 'error', http_status: 404 });
      }
      if (method === 'POST' && !name) {
        const profileName = String(body.name ?? '');
        if (!profileName) return answer(500, fail(500, -651, 'name is required'));
        if (profiles.has(profileName)) return answer(500, fail(500, -5, 'entry already exists'));
        profiles.set(profileName, body);
        return commit(200, { status: 'success', http_status: 200, mkey: profileName });
      }
    }
    const userMatch = /^\/api\/v2\/cmdb\/system\/api-user(?:\/([^/]+))?$/.exec(path);
    if (userMatch) {
      const name = userMatch[1] ? decodeURIComponent(userMatch[1]) : undefined;
      if (method === 'GET' && name) {
        const user = users.get(name);
        if (!user) return answer(404, { status: 'error', http_status: 404 });
        const { key: _hidden, ...visible } = user;
        return answer(
          200,
          ok([
            { ...visible, trusthost: user.trusthosts.map((t, i) => ({ id: i + 1, 'ipv4-trusthost': t })) },
          ]),
        );
      }
      if (method === 'GET' && !name) {
        return answer(200, ok([...users.values()].map(({ key: _hidden, ...visible }) => visible)));
      }
      if (method === 'DELETE' && name) {
        if (!users.delete(name)) return answer(404, { status: 'error', http_status: 404 });
        return commit(200, { status: 'success', http_status: 200 });
      }
      if (method === 'POST' && !name) {
        const userName = String(body.name ?? '');
        if (!/^[A-Za-z0-9._-]{1,35}$/.test(userName)) return answer(500, fail(500, -651, 'invalid name'));
        if (users.has(userName)) return answer(500, fail(500, -5, 'entry already exists'));
        const accprofile = String(body.accprofile ?? '');
        if (!profiles.has(accprofile)) {
          return answer(500, fail(500, -3, `accprofile "${accprofile}" -3 entry not found in datasource`));
        }
        const trusthosts = (Array.isArray(body.trusthost) ? body.trusthost : []).map(
          (t: Record<string, unknown>) => String(t['ipv4-trusthost'] ?? ''),
        );
        if (trusthosts.some((t) => t.endsWith(' 0.0.0.0'))) {
          return answer(500, fail(500, -651, 'trusthost 0.0.0.0/0 is not allowed for api-user'));
        }
        users.set(userName, {
          name: userName,
          accprofile,
          vdom: (Array.isArray(body.vdom) ? body.vdom : []).map((v: { name?: unknown }) => String(v.name)),
          trusthosts,
          comments: String(body.comments ?? ''),
        });
        return commit(200, { status: 'success', http_status: 200, mkey: userName });
      }
    }
    if (method === 'POST' && path === '/api/v2/monitor/system/api-user/generate-key') {
      const user = users.get(String(body['api-user'] ?? ''));
      if (!user) return answer(404, { status: 'error', http_status: 404 });
      user.key = newKey(); // replaces the previous key at once
      return commit(200, { status: 'success', http_status: 200, results: { access_token: user.key } });
    }
    return answer(404, { status: 'error', http_status: 404 });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: pems.cert,
    fingerprint: new X509Certificate(pems.cert).fingerprint256.replace(/:/g, ''),
    adminToken,
    state: { users, profiles, requestsLog },
    faults,
    concurrency,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FortiOsSimulator = Awaited<ReturnType<typeof startFortiOsSimulator>>;

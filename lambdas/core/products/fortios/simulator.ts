/**
 * A FortiOS 7.x REST simulator on loopback HTTPS, an honest model of the vendor facts in README.md
 * beside this file, each behaviour with its source beside it: admin token required, tokens only in
 * the Authorization header, API keys usable only from the user's trusted hosts and VDOMs,
 * `generate-key` replacing the old key and showing the new one once, FortiOS's error envelopes and
 * refusal pages, per-VDOM answers, the API-key lockout of a source address, and HA members that
 * receive the primary's configuration unless their sync stalls. It can inject faults: latency,
 * 429, 5xx, hostile bodies, and a change committed whose answer is lost; and the drift of a
 * configuration restore, a device replaced (RMA) and a stalled HA sync.
 */
import { X509Certificate } from 'node:crypto';
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
import { cidrToAddressMask } from '../managed-user.ts';

interface SimUser {
  readonly name: string;
  readonly accprofile: string;
  readonly vdom: string[];
  readonly trusthosts: string[];
  readonly comments: string;
  key?: string;
}

export interface LockoutPolicy {
  /** Failed API-key logins from one address that lock it out (`admin-lockout-threshold`). */
  readonly threshold: number;
  /** How far back failures are counted. */
  readonly windowMs: number;
  /** How long the first lockout lasts (`admin-lockout-duration`). */
  readonly durationMs: number;
}

/**
 * FortiOS's defaults (`config system global`: admin-lockout-threshold 3, admin-lockout-duration
 * 60): Fortinet Community, "Technical Tip: Administrative lockout durations for FortiGate API"
 * (article 362817), whose httpsd log reads "Failed api-key login attempt from <ip> (2/3 attempts
 * within 60s)".
 */
export const FORTIOS_LOCKOUT: LockoutPolicy = { threshold: 3, windowMs: 60_000, durationMs: 60_000 };

export interface FortiOsSimulatorOptions {
  readonly port?: number;
  readonly adminToken?: string;
  /** The REST API administrator (a super_admin api-user) whose key `adminToken` is (default `provisioner-admin`). */
  readonly adminUser?: string;
  /** FortiOS 7.2 answers cli_error as a string, 7.6 as a list of strings. */
  readonly cliErrorStyle?: '7.2' | '7.6';
  /**
   * The HTML page that refuses a token: 401 (prometheus-community/fortigate_exporter#223, 7.4.0) or
   * 403 (fortinet/fortigate-tutorial-gcp#10, fortinet-ansible-dev/ansible-galaxy-fortios-collection#384).
   */
  readonly refusalPage?: 401 | 403;
  /** The device's VDOMs (default `root`); `?vdom=global` answers one envelope per VDOM. */
  readonly vdoms?: readonly string[];
  /** The API-key lockout (default FortiOS's); false turns it off. */
  readonly lockout?: LockoutPolicy | false;
  /** The clock the lockout counts with (tests move it by hand). */
  readonly now?: () => number;
  /**
   * The trusted hosts (CIDRs) of the REST API admin whose token the provisioner holds (default:
   * 127.0.0.1/32, where every local request comes from). From elsewhere its token gets the refusal page, a failed api-key login like any key's
   * (fortinetdev/terraform-provider-fortios#47: "Peer not trusted", then 401).
   */
  readonly adminTrustedHosts?: readonly string[];
  /** An HA member: it receives this primary's configuration (users, keys, profiles) and its admin token. */
  readonly haPrimary?: HaPrimary;
  /** The certificate it serves (default: its own); FortiGates of one fleet share one, as if signed by one CA. */
  readonly certificate?: Awaited<ReturnType<typeof loopbackCertificate>>;
}

/** What an HA member receives from its primary. */
interface HaPrimary {
  readonly adminToken: string;
  readonly state: Configuration;
}

/**
 * Apache-style pages of FortiOS's httpsd, as captured: 401 in prometheus-community/fortigate_exporter#223,
 * 403 in fortinet/fortigate-tutorial-gcp#10, 429 in fortigate_exporter#298.
 */
export const REFUSAL_PAGES = {
  401: `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>401 Unauthorized</title>
</head><body>
<h1>Unauthorized</h1>
<p>This server could not verify that you
are authorized to access the document
requested.  Either you supplied the wrong
credentials (e.g., bad password), or your
browser doesn't understand how to supply
the credentials required.</p>
<p>Additionally, a 401 Unauthorized
error was encountered while trying to use an ErrorDocument to handle the request.</p>
</body></html>
`,
  403: `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>403 Forbidden</title>
</head><body>
<h1>Forbidden</h1>
<p>You don't have permission to access this resource.</p>
<p>Additionally, a 403 Forbidden
error was encountered while trying to use an ErrorDocument to handle the request.</p>
</body></html>
`,
} as const;

const TOO_MANY_REQUESTS_PAGE = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>429 Too Many Requests</title>
</head><body>
<h1>Too Many Requests</h1>
<p>The user has sent too many requests
in a given amount of time.</p>
<p>Additionally, a 429 Too Many Requests
error was encountered while trying to use an ErrorDocument to handle the request.</p>
</body></html>
`;

/** Failed API-key logins per source address, counted as FortiOS's httpsd counts them (article 362817). */
class ApiKeyLockout {
  private readonly addresses = new Map<
    string,
    { failures: number[]; lockedUntil: number; lockouts: number }
  >();

  constructor(
    private readonly policy: LockoutPolicy,
    private readonly now: () => number,
  ) {}

  /** While locked, FortiOS refuses every call without checking its token, and counts it neither way. */
  isLocked(address: string): boolean {
    return (this.addresses.get(address)?.lockedUntil ?? 0) > this.now();
  }

  /** A single successful login resets the count completely. */
  succeeded(address: string): void {
    const entry = this.addresses.get(address);
    if (entry) entry.failures = [];
  }

  /** Counts a failed login; true when it locks the address out. */
  failed(address: string): boolean {
    const now = this.now();
    const entry = this.addresses.get(address) ?? { failures: [], lockedUntil: 0, lockouts: 0 };
    this.addresses.set(address, entry);
    entry.failures = [...entry.failures.filter((at) => now - at <= this.policy.windowMs), now];
    if (entry.failures.length < this.policy.threshold) return false;
    // For API users each later lockout of the same address lasts twice the one before (article 362817).
    entry.lockedUntil = now + this.policy.durationMs * 2 ** entry.lockouts;
    entry.lockouts += 1;
    entry.failures = [];
    return true;
  }
}

/** What one VDOM's handling of a request answers, and whether it changed the configuration. */
interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly commits?: boolean;
}

interface Configuration {
  readonly users: Map<string, SimUser>;
  readonly profiles: Map<string, Record<string, unknown>>;
}

/** A configuration backup: what a restore brings back, keys included. */
export type ConfigurationBackup = Readonly<Configuration>;

/**
 * The admin token is the key of a REST API administrator: an api-user with the super_admin profile
 * (FortiOS Administration Guide, "REST API administrator": `config system api-user`, `set accprofile
 * "super_admin"`, `execute api-user generate-key`), trusted from the provisioner's address only.
 * Any api-user with that profile administers; its key dies with it like any api-user's.
 */
const ADMIN_PROFILE = 'super_admin';

export async function startFortiOsSimulator(options: FortiOsSimulatorOptions = {}) {
  const pems = options.certificate ?? (await loopbackCertificate());
  const adminToken = options.adminToken ?? options.haPrimary?.adminToken ?? newKey();
  const adminUser = options.adminUser ?? 'provisioner-admin';
  const primary = options.haPrimary?.state;
  const initial: Configuration = {
    users: new Map([
      [
        adminUser,
        {
          name: adminUser,
          accprofile: ADMIN_PROFILE,
          vdom: [...(options.vdoms ?? ['root'])],
          trusthosts: (options.adminTrustedHosts ?? ['127.0.0.1/32']).map(cidrToAddressMask),
          comments: '',
          key: adminToken,
        },
      ],
    ]),
    profiles: new Map([[ADMIN_PROFILE, { name: ADMIN_PROFILE }]]),
  };
  // An HA member reads its primary's configuration until its sync stalls; then it keeps a copy.
  let own = primary ? undefined : initial;
  const configuration = (): Configuration => own ?? primary ?? initial;
  const copyOfConfiguration = (): ConfigurationBackup => {
    const { users, profiles } = configuration();
    return structuredClone({ users, profiles });
  };
  const requestsLog: { method: string; path: string; status: number }[] = [];
  const faults = new FaultInjector();
  const concurrency = new ConcurrencyGate();
  const style = options.cliErrorStyle ?? '7.2';
  const vdoms = options.vdoms ?? ['root'];
  const refusal = options.refusalPage ?? 401;
  const lockout =
    options.lockout === false
      ? undefined
      : new ApiKeyLockout(options.lockout ?? FORTIOS_LOCKOUT, options.now ?? Date.now);

  const fail = (method: string, status: number, error?: number, cli?: string) => ({
    http_method: method,
    status: 'error',
    http_status: status,
    ...(error === undefined ? {} : { error }),
    ...(cli === undefined ? {} : { cli_error: style === '7.6' ? [cli] : cli }),
  });
  const ok = (method: string, fields: Record<string, unknown> = {}) => ({
    http_method: method,
    status: 'success',
    http_status: 200,
    ...fields,
  });

  /** One VDOM's answer to a cmdb call on the profiles and API users (global objects, shared by every VDOM). */
  const cmdb = (method: string, path: string, body: Record<string, unknown>): Reply | undefined => {
    const { users, profiles } = configuration();
    const absent = { status: 404, body: fail(method, 404) };
    const profileMatch = /^\/api\/v2\/cmdb\/system\/accprofile(?:\/([^/]+))?$/.exec(path);
    if (profileMatch) {
      const name = profileMatch[1] ? decodeURIComponent(profileMatch[1]) : undefined;
      if (method === 'GET' && name) {
        const profile = profiles.get(name);
        return profile ? { status: 200, body: ok(method, { results: [profile] }) } : absent;
      }
      if (method === 'POST' && !name) {
        const profileName = String(body.name ?? '');
        if (!profileName) return { status: 500, body: fail(method, 500, -651, 'name is required') };
        // A name that exists is HTTP 500 with -5, not 409 (FortiOS REST API reference, error codes).
        if (profiles.has(profileName)) {
          return { status: 500, body: fail(method, 500, -5, 'entry already exists') };
        }
        profiles.set(profileName, body);
        return { status: 200, body: ok(method, { mkey: profileName }), commits: true };
      }
    }
    const userMatch = /^\/api\/v2\/cmdb\/system\/api-user(?:\/([^/]+))?$/.exec(path);
    if (!userMatch) return undefined;
    const name = userMatch[1] ? decodeURIComponent(userMatch[1]) : undefined;
    if (method === 'GET' && name) {
      const user = users.get(name);
      if (!user) return absent;
      const { key: _hidden, ...visible } = user;
      const trusthost = user.trusthosts.map((t, i) => ({ id: i + 1, 'ipv4-trusthost': t }));
      return { status: 200, body: ok(method, { results: [{ ...visible, trusthost }] }) };
    }
    if (method === 'GET' && !name) {
      const results = [...users.values()].map(({ key: _hidden, ...visible }) => visible);
      return { status: 200, body: ok(method, { results }) };
    }
    if (method === 'DELETE' && name) {
      if (!users.delete(name)) return absent;
      return { status: 200, body: ok(method), commits: true };
    }
    if (method === 'POST' && !name) {
      const userName = String(body.name ?? '');
      if (!/^[A-Za-z0-9._-]{1,35}$/.test(userName)) {
        return { status: 500, body: fail(method, 500, -651, 'invalid name') };
      }
      if (users.has(userName)) return { status: 500, body: fail(method, 500, -5, 'entry already exists') };
      const accprofile = String(body.accprofile ?? '');
      if (!profiles.has(accprofile)) {
        // The CLI's own text for a reference to nothing (FortiOS CLI: "Command fail. Return code -3").
        const cli = `entry not found in datasource\n\nvalue parse error before '${accprofile}'\nCommand fail. Return code -3`;
        return { status: 500, body: fail(method, 500, -3, cli) };
      }
      const trusthosts = (Array.isArray(body.trusthost) ? body.trusthost : []).map(
        (t: Record<string, unknown>) => String(t['ipv4-trusthost'] ?? ''),
      );
      if (trusthosts.some((t) => t.endsWith(' 0.0.0.0'))) {
        return {
          status: 500,
          body: fail(method, 500, -651, 'trusthost 0.0.0.0/0 is not allowed for api-user'),
        };
      }
      users.set(userName, {
        name: userName,
        accprofile,
        vdom: (Array.isArray(body.vdom) ? body.vdom : []).map((v: { name?: unknown }) => String(v.name)),
        trusthosts,
        comments: String(body.comments ?? ''),
      });
      return { status: 200, body: ok(method, { mkey: userName }), commits: true };
    }
    return undefined;
  };

  const server = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://fortigate');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const send = (code: number, contentType: string, text: string) => {
      requestsLog.push({ method, path, status: code });
      res.writeHead(code, { 'content-type': contentType }).end(text);
    };
    const page = (code: number, text: string) => send(code, 'text/html; charset=iso-8859-1', text);
    const answer = (code: number, body: unknown) => send(code, 'application/json', JSON.stringify(body));

    if (!concurrency.admit(res)) return answer(429, fail(method, 429));
    const fault = faults.take(method, path);
    await faults.delay(fault);
    if (fault?.kind === '429') return answer(429, fail(method, 429));
    if (fault?.kind === '5xx') return page(503, '<html><body>Service Unavailable</body></html>');
    const hostile = hostileAnswer(fault?.kind, req.headers.authorization, '');
    if (hostile) return send(hostile.status, hostile.contentType, hostile.text);

    const caller = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    // 7.4.5+ refuses tokens in the URL; only the header counts.
    if (url.searchParams.has('access_token') || !bearer) return page(401, REFUSAL_PAGES[401]);
    // A locked address gets the 429 page whatever its token (fortigate_exporter#58: 401, 401, then 429s).
    if (lockout?.isLocked(caller)) return page(429, TOO_MANY_REQUESTS_PAGE);
    const { users } = configuration();
    const keyHolder = [...users.values()].find((u) => u.key && u.key === bearer);
    if (!keyHolder?.trusthosts.some((t) => inTrustHost(caller, t))) {
      // A wrong key and a key from outside its trusted hosts are both failed api-key logins (article 362817).
      return lockout?.failed(caller)
        ? page(429, TOO_MANY_REQUESTS_PAGE)
        : page(refusal, REFUSAL_PAGES[refusal]);
    }
    lockout?.succeeded(caller);
    // Only a non-administrator's key is held to its VDOMs and permissions below.
    const apiUser = keyHolder.accprofile === ADMIN_PROFILE ? undefined : keyHolder;
    const text = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return answer(400, fail(method, 400, -1, 'invalid JSON'));
    }
    const reply = (result: Reply | Reply[]) => {
      const changed = Array.isArray(result) ? result.some((r) => r.commits) : result.commits;
      // The change is applied; the answer is lost (the connection drops).
      if (changed && fault?.kind === 'drop-after-commit') {
        requestsLog.push({ method, path, status: 0 });
        req.socket.destroy();
        return;
      }
      if (!Array.isArray(result)) return answer(result.status, result.body);
      const code = result.find((r) => r.status < 400)?.status ?? result[0]?.status ?? 200;
      answer(
        code,
        result.map((r) => r.body),
      );
    };

    const scope = url.searchParams.get('vdom');
    // A key whose user lacks the VDOM asked gets a permission error, a JSON 403 as 7.2.6 answers it
    // (FortiOS REST API reference, "Working with VDOMs").
    if (apiUser && scope && !apiUser.vdom.includes(scope)) return answer(403, fail(method, 403));
    if (method === 'GET' && path === '/api/v2/monitor/system/status') {
      return answer(
        200,
        ok(method, { results: { hostname: 'FGT-SIM', model_name: 'FortiGate', version: 'v7.4.8' } }),
      );
    }
    // The profiles the adapter gives its API users grant no system configuration: a JSON 403 too.
    if (apiUser) return answer(403, fail(method, 403));
    if (method === 'POST' && path === '/api/v2/monitor/system/api-user/generate-key') {
      const user = users.get(String(body['api-user'] ?? ''));
      if (!user) return answer(404, fail(method, 404));
      user.key = newKey(); // replaces the previous key at once
      return reply({ status: 200, body: ok(method, { results: { access_token: user.key } }), commits: true });
    }
    // Several VDOMs (global, *, or a list) answer a list of per-VDOM envelopes, each naming its VDOM
    // (FortiOS REST API reference, "Working with VDOMs"); a -5 in one is that VDOM's "already exists".
    const everyVdom = scope === 'global' || scope === '*';
    const scoped = everyVdom ? vdoms : (scope ?? 'root').split(',');
    const replies: Reply[] = [];
    for (const vdom of scoped) {
      const result = cmdb(method, path, body);
      if (!result) return answer(404, fail(method, 404));
      replies.push({ ...result, body: { ...result.body, vdom } });
    }
    return reply(everyVdom || scoped.length > 1 ? replies : (replies[0] as Reply));
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: pems.cert,
    fingerprint: new X509Certificate(pems.cert).fingerprint256.replace(/:/g, ''),
    adminToken,
    adminUser,
    state: {
      get users() {
        return configuration().users;
      },
      get profiles() {
        return configuration().profiles;
      },
      requestsLog,
    },
    /**
     * A configuration restore (`POST monitor/system/config/restore` of a backup from
     * `monitor/system/config/backup`, FortiOS REST API reference; `execute restore config`, FortiOS
     * CLI Reference 6.0 "restore"): the device's configuration becomes the backup's, api-users with
     * the `api-key` each held then, so a user deleted since is back with its old key and a live
     * user holds its older key again. HA members follow the primary's restored configuration.
     */
    backup: copyOfConfiguration,
    restore: (backup: ConfigurationBackup) => {
      own = structuredClone(backup);
    },
    /**
     * A saved configuration script replayed (`execute restore script`, or a manager re-installing
     * its stale copy of the device's settings): each api-user of the backup is set again with the
     * key it held then, users made since stay (our reading of CLI `edit` semantics: README.md, "Drift").
     */
    replayUsers: (backup: ConfigurationBackup) => {
      for (const [name, user] of backup.users) configuration().users.set(name, structuredClone(user));
    },
    /**
     * An RMA: the device is replaced and its configuration restored onto the new unit, but no
     * api-user key authenticates there until a new one is generated (our reading: Fortinet does not
     * document whether an api-key restored onto another unit still works; README.md, "Drift"). The
     * person who replaced it generated the provisioner's admin key again (`target add` with it), so
     * the REST API administrators keep theirs.
     */
    replaceDevice: () => {
      for (const user of configuration().users.values())
        if (user.accprofile !== ADMIN_PROFILE) delete user.key;
    },
    /** HA members only: a stalled sync keeps the configuration as it was; resuming receives the primary's again. */
    ha: {
      stall: () => {
        own = copyOfConfiguration();
      },
      resume: () => {
        if (primary) own = undefined;
      },
    },
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

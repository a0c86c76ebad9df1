/**
 * A FortiManager (>= 7.2.2) simulator: JSON-RPC over loopback HTTPS and an SSH CLI, honest to
 * Vendor facts (README.md beside this file): status codes in `result[0].status.code` with HTTP 200, Bearer tokens,
 * API users usable only from their trusted hosts, `execute api-user generate-key <user>` on the
 * CLI printing a new key once and replacing the old one, and, on the firmware that has it, -11 to
 * a token call that overlaps another (a `latency` fault holds calls in flight to show it).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import {
  ConcurrencyGate,
  FaultInjector,
  hostileAnswer,
  inTrustHost,
  loopbackCertificate,
  newKey,
  readBody,
} from '../../../../local/simulator-kit.ts';

// ssh2 is CommonJS: Node's ESM loader sees only its default export.
const { Server: SshServer, utils: sshUtils } = ssh2;

export interface FmgUser {
  readonly userid: string;
  /** `api` (a key, JSON-RPC only) or `local` (a password, CLI logins); absent: api. */
  readonly user_type?: 'api' | 'local';
  readonly profileid: string;
  readonly trusthosts: string[];
  readonly description: string;
  /** JSON-RPC access: `none`, `read`, `read-write` or `from-profile` (its admin profile's). */
  readonly 'rpc-permit': string;
  readonly adom?: unknown;
  key?: string;
  password?: string;
}

/**
 * The admin token is the key of an API admin with the Super_User profile and `rpc-permit
 * read-write` (FortiManager Terraform provider guide "Generate an API token for FortiManager":
 * `config system admin user`, `set user_type api`, `set profileid Super_User`, `set rpc-permit
 * read-write`, then `execute api-user generate-key`); any such admin's key administers and dies
 * with its user. The CLI login is a local admin with a password and the same profile.
 */
const ADMIN_PROFILE = 'Super_User';
const administers = (user: FmgUser | undefined) =>
  user?.profileid === ADMIN_PROFILE && user['rpc-permit'] === 'read-write';

/** What `get` shows of an admin user: its trusted hosts as `trusthost<n>` fields, never its key or password. */
function visible({ key: _key, password: _password, trusthosts, ...shown }: FmgUser) {
  return { ...shown, ...Object.fromEntries(trusthosts.map((host, i) => [`trusthost${i + 1}`, host])) };
}

const CODE = { ok: 0, exists: -2, notFound: -3, invalidData: -10, noPermission: -11 } as const;

/** The firmware the simulator plays unless told otherwise: one with the concurrency fault below. */
const DEFAULT_VERSION = '7.4.5';

/**
 * FortiManager 7.2.7 to 7.4.7 answer a token-authenticated JSON-RPC call that arrives while another
 * is in flight with -11 "No permission for the resource"; one call at a time, or a login session,
 * works (fortinetdev/terraform-provider-fortimanager issues #59 on 7.2.7, #71 on 7.4.6 with
 * `-parallelism=1` as the workaround and the fix named for 7.6.2, #80 on 7.4.7). 7.6.0 and 7.6.1
 * are taken as affected too, since the fix is named for 7.6.2.
 */
export function answersConcurrentTokenCallsWithNoPermission(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  const number = major * 10_000 + minor * 100 + patch;
  return (number >= 70_207 && number <= 70_407) || (number >= 70_600 && number < 70_602);
}

/** What a manager answers for the FortiGates it manages (../fortigate-fleet/simulator.ts): undefined for other URLs. */
export type ManagedDevices = (
  method: string,
  url: string,
  data: Record<string, unknown>,
) => Promise<{ readonly code: number; readonly data?: unknown; readonly message?: string } | undefined>;

export async function startFortiManagerSimulator(
  options: { sshPassword?: string; version?: string; managedDevices?: ManagedDevices } = {},
) {
  const version = options.version ?? DEFAULT_VERSION;
  const concurrentCallsRefused = answersConcurrentTokenCallsWithNoPermission(version);
  const pems = await loopbackCertificate();
  const adminToken = newKey();
  const adminUser = 'provisioner-admin';
  const sshUser = 'admin';
  const sshPassword = options.sshPassword ?? newKey();
  const hostKey = generateHostKey();
  const admin = { profileid: ADMIN_PROFILE, 'rpc-permit': 'read-write', description: '' };
  const users = new Map<string, FmgUser>([
    [
      adminUser,
      {
        userid: adminUser,
        user_type: 'api',
        ...admin,
        trusthosts: ['127.0.0.1 255.255.255.255'],
        key: adminToken,
      },
    ],
    [sshUser, { userid: sshUser, user_type: 'local', ...admin, trusthosts: [], password: sshPassword }],
  ]);
  /** What `generate-key` prints (a test may change it: another firmware's wording). */
  const keyOutput = {
    print: (key: string, userid: string) =>
      `New API key: ${key}\nNOTE: The bearer of this API key will be granted all access privileges assigned to the api-user ${userid}.\n`,
  };
  const profiles = new Map<string, Record<string, unknown>>([['Super_User', { profileid: 'Super_User' }]]);
  const requestsLog: { method: string; url: string; code: number }[] = [];
  const faults = new FaultInjector();
  const concurrency = new ConcurrencyGate();

  const reply = (
    res: ServerResponse,
    id: unknown,
    code: number,
    data?: unknown,
    message = code === 0 ? 'OK' : 'error',
  ) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        result: [{ status: { code, message }, ...(data === undefined ? {} : { data }) }],
      }),
    );
  };

  const https = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const text = await readBody(req);
    let call: { id?: unknown; method?: string; params?: { url?: string; data?: Record<string, unknown> }[] } =
      {};
    try {
      call = JSON.parse(text);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const method = String(call.method ?? '');
    const url = String(call.params?.[0]?.url ?? '');
    const data = call.params?.[0]?.data ?? {};
    const overlapping = concurrency.inFlight > 0;
    if (!concurrency.admit(res)) return void res.writeHead(429).end();
    const fault = faults.take(method, url);
    await faults.delay(fault);
    if (fault?.kind === '429') return void res.writeHead(429).end();
    if (fault?.kind === '5xx') return void res.writeHead(503).end('<html>Service Unavailable</html>');
    const hostile = hostileAnswer(fault?.kind, req.headers.authorization, text);
    if (hostile)
      return void res.writeHead(hostile.status, { 'content-type': hostile.contentType }).end(hostile.text);
    const answer = (code: number, result?: unknown, message?: string) => {
      requestsLog.push({ method, url, code });
      reply(res, call.id, code, result, message);
    };
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (bearer && overlapping && concurrentCallsRefused) {
      return answer(CODE.noPermission, undefined, 'No permission for the resource');
    }
    const caller = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const keyHolder = [...users.values()].find((u) => u.key && u.key === bearer);
    if (!keyHolder?.trusthosts.some((t) => inTrustHost(caller, t))) {
      return answer(CODE.noPermission, undefined, 'No permission for the resource');
    }
    if (method === 'get' && url === '/sys/status')
      return answer(CODE.ok, { Hostname: 'FMG-SIM', Version: `v${version}` });
    if (!administers(keyHolder))
      return answer(CODE.noPermission, undefined, 'No permission for the resource');
    const managed = await options.managedDevices?.(method, url, data);
    if (managed) return answer(managed.code, managed.data, managed.message);

    const profile = /^\/cli\/global\/system\/admin\/profile(?:\/([^/]+))?$/.exec(url);
    if (profile) {
      const name = profile[1] ? decodeURIComponent(profile[1]) : undefined;
      if (method === 'get' && name)
        return profiles.has(name) ? answer(CODE.ok, profiles.get(name)) : answer(CODE.notFound);
      if (method === 'add' && !name) {
        const id = String(data.profileid ?? '');
        if (profiles.has(id)) return answer(CODE.exists, undefined, 'Object already exists');
        profiles.set(id, data);
        return answer(CODE.ok);
      }
    }
    const user = /^\/cli\/global\/system\/admin\/user(?:\/([^/]+))?$/.exec(url);
    if (user) {
      const name = user[1] ? decodeURIComponent(user[1]) : undefined;
      if (method === 'get' && name) {
        const found = users.get(name);
        if (!found) return answer(CODE.notFound, undefined, 'Object does not exist');
        return answer(CODE.ok, visible(found));
      }
      if (method === 'get' && !name) return answer(CODE.ok, [...users.values()].map(visible));
      // JSON API reference, `update`: changes the fields given of an existing object.
      if (method === 'update' && name) {
        const found = users.get(name);
        if (!found) return answer(CODE.notFound, undefined, 'Object does not exist');
        if (typeof data.password !== 'string' || found.user_type !== 'local')
          return answer(CODE.invalidData, undefined, 'invalid value: password');
        found.password = data.password;
        return answer(CODE.ok);
      }
      if (method === 'delete' && name) return users.delete(name) ? answer(CODE.ok) : answer(CODE.notFound);
      if (method === 'add' && !name) {
        const userid = String(data.userid ?? '');
        if (users.has(userid)) return answer(CODE.exists, undefined, 'Object already exists');
        if (!profiles.has(String(data.profileid)))
          return answer(CODE.invalidData, undefined, 'invalid value: profileid');
        const trusthosts = Object.entries(data)
          .filter(([k]) => /^trusthost\d+$/.test(k))
          .map(([, v]) => String(v));
        const local = data.user_type === 'local';
        if (local && (typeof data.password !== 'string' || data.password.length === 0))
          return answer(CODE.invalidData, undefined, 'a local admin needs a password');
        if (
          !local &&
          (data.user_type !== 'api' ||
            trusthosts.length === 0 ||
            trusthosts.some((t) => t.endsWith(' 0.0.0.0')))
        ) {
          return answer(CODE.invalidData, undefined, 'an api user needs a trusted host');
        }
        // CLI Reference, `config system admin user`: `set rpc-permit {none | read | read-write}`,
        // default none (and `from-profile`, Administration Guide "Override administrator attributes
        // from profiles"). Stored, not enforced: an API user's calls beyond /sys/status get -11 anyway.
        const rpcPermit = String(data['rpc-permit'] ?? 'none');
        if (!['none', 'read', 'read-write', 'from-profile'].includes(rpcPermit))
          return answer(CODE.invalidData, undefined, 'invalid value: rpc-permit');
        users.set(userid, {
          userid,
          user_type: local ? 'local' : 'api',
          profileid: String(data.profileid),
          trusthosts,
          description: String(data.description ?? ''),
          'rpc-permit': rpcPermit,
          adom: data.adom,
          ...(local ? { password: String(data.password) } : {}),
        });
        return answer(CODE.ok);
      }
    }
    return answer(-6, undefined, 'Invalid url');
  });

  const ssh = new SshServer({ hostKeys: [hostKey.private] }, (client) => {
    client
      .on('authentication', (ctx) => {
        // A local admin logs in with its current password only: a changed or deleted one is refused.
        const login = users.get(ctx.username);
        if (ctx.method === 'password' && login?.user_type === 'local' && ctx.password === login.password)
          ctx.accept();
        else ctx.reject(['password']);
      })
      .on('ready', () => {
        client.on('session', (accept) => {
          accept().on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            if (info.command === 'get system status') {
              requestsLog.push({ method: 'SSH', url: 'get system status', code: 0 });
              stream.write(`Version: FortiManager-VM64 v${version}\nHostname: FMG-SIM\n`);
              stream.exit(0);
              return void stream.end();
            }
            const match = /^execute api-user generate-key ([A-Za-z0-9._-]{1,35})$/.exec(info.command);
            const target = match?.[1] ? users.get(match[1]) : undefined;
            requestsLog.push({ method: 'SSH', url: 'execute api-user generate-key', code: target ? 0 : -3 });
            if (!target) {
              stream.write('Command fail. Return code -3\n');
              stream.exit(1);
            } else {
              target.key = newKey(); // replaces the previous key at once, shown once
              stream.write(keyOutput.print(target.key, target.userid));
              stream.exit(0);
            }
            stream.end();
          });
        });
      })
      .on('error', () => {});
  });

  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => ssh.listen(0, '127.0.0.1', resolve));
  const parsedHostKey = sshUtils.parseKey(hostKey.public);
  const publicBlob = parsedHostKey instanceof Error ? Buffer.alloc(0) : parsedHostKey.getPublicSSH();
  return {
    url: `https://127.0.0.1:${(https.address() as AddressInfo).port}`,
    caPem: pems.cert,
    fingerprint: new X509Certificate(pems.cert).fingerprint256.replace(/:/g, ''),
    adminToken,
    adminUser,
    ssh: {
      port: (ssh.address() as AddressInfo).port,
      username: sshUser,
      password: sshPassword,
      hostKeySha256: `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`,
    },
    state: { users, profiles, requestsLog, keyOutput },
    faults,
    concurrency,
    close: async () => {
      https.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => https.close(() => resolve())),
        new Promise<void>((resolve) => ssh.close(() => resolve())),
      ]);
    },
  };
}

/**
 * An ed25519 host key. ssh2's generator now and then writes a private key its own parser calls
 * malformed (seen as a flaky simulator start), so a key is kept only once it parses.
 */
function generateHostKey(): { private: string; public: string } {
  for (let attempt = 0; attempt < 10; attempt++) {
    const pair = sshUtils.generateKeyPairSync('ed25519');
    if (!(sshUtils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('could not generate an SSH host key ssh2 can parse');
}
export type FortiManagerSimulator = Awaited<ReturnType<typeof startFortiManagerSimulator>>;

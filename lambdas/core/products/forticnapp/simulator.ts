/**
 * A FortiCNAPP (Lacework) API v2 simulator on loopback HTTPS, modelling the vendor facts in README.md beside this file and
 * the vendor document: `POST /api/v2/access/tokens` with `X-LW-UAKS` answers 201 `{token,
 * expiresAt}`; errors in the shapes lacework/go-sdk reads; at most 20 keys per user; a key whose
 * user was relegated from the admin role can no longer mint tokens (refused with 403). The
 * `console` is the UI an operator uses to create service users and keys and to download the key file.
 */
import { randomText, startHttpsSimulator } from '../../../../local/simulator-kit.ts';

/**
 * Where an error answer carries its text, each shape as a fixture of lacework/go-sdk shows it
 * (api/errors_test.go) and api/errors.go reads it: `message` is `{message}` (TestErrorWithV2Message);
 * the `data-*` shapes say `ok: true, message: "SUCCESS"` beside the real text, in `data.ErrorMsg`
 * (TestErrorWithDataErrorMsg), `data.Message` (TestErrorWithDataStatusMessage) or
 * `data.statusMessage` (TestErrorWithDataMessage); `text` is a text/plain body
 * (cli/cmd/package_manifest_test.go, TestFanOutHostScans).
 */
export type FortiCnappErrorStyle =
  | 'message'
  | 'data-errormsg'
  | 'data-message'
  | 'data-statusmessage'
  | 'text';

export interface FortiCnappSimulatorOptions {
  readonly port?: number;
  readonly errorStyle?: FortiCnappErrorStyle;
  /** expiresAt with milliseconds (`...00.000Z`) or without (`...00Z`). */
  readonly expiresAtStyle?: 'millis' | 'seconds';
  readonly now?: () => number;
}

interface SimKey {
  readonly keyId: string;
  readonly secret: string;
  readonly serviceUser: string;
  readonly name: string;
}

const MAX_KEYS_PER_USER = 20;

export async function startFortiCnappSimulator(options: FortiCnappSimulatorOptions = {}) {
  const now = options.now ?? Date.now;
  const serviceUsers = new Map<string, { relegated: boolean }>();
  const keys = new Map<string, SimKey>();
  const tokens = new Map<string, { keyId: string; expiresAt: number }>();
  const fail = (status: number, message: string) => {
    const success = { ok: true, message: 'SUCCESS' };
    switch (options.errorStyle) {
      case 'text':
        return { status, body: message };
      case 'data-errormsg':
        return { status, body: { data: { ErrorMsg: message }, ...success } };
      case 'data-message':
        return { status, body: { data: { Status: 'Error', Message: message }, ...success } };
      case 'data-statusmessage':
        return { status, body: { data: { statusMessage: message }, ...success } };
      default:
        return { status, body: { message } };
    }
  };
  /**
   * The refusal of a key that may not mint tokens: HTTP 403 with `User not authorized.` as text
   * (lacework/go-sdk cli/cmd/package_manifest_test.go) or `Unauthorized Access` as JSON
   * (lacework/terraform-provider-lacework#153: "[403] Unauthorized Access").
   */
  const notAuthorized = () =>
    fail(403, options.errorStyle === 'text' ? 'User not authorized.' : 'Unauthorized Access');
  const keyUsable = (key: SimKey | undefined) =>
    key && serviceUsers.get(key.serviceUser)?.relegated === false;

  const server = await startHttpsSimulator(options, (req) => {
    if (req.method === 'POST' && req.path === '/api/v2/access/tokens') {
      const body = req.json as { keyId?: unknown; expiryTime?: unknown } | undefined;
      const expiry = body?.expiryTime;
      if (typeof expiry !== 'number' || !Number.isInteger(expiry) || expiry < 1 || expiry > 86_400) {
        return fail(400, 'expiryTime must be an integer between 1 and 86400');
      }
      const key = keys.get(String(body?.keyId ?? ''));
      // An unknown or deleted key: 401, this simulator's model (README.md, "Where reality differs").
      if (!key || key.secret !== req.headers['x-lw-uaks']) return fail(401, 'Unauthorized');
      if (!keyUsable(key)) return notAuthorized();
      const token = `_${randomText(40, '0123456789abcdef')}`;
      const expiresAt = now() + expiry * 1000;
      tokens.set(token, { keyId: key.keyId, expiresAt });
      const iso = new Date(expiresAt).toISOString();
      return {
        status: 201,
        commits: true,
        body: {
          token,
          expiresAt: options.expiresAtStyle === 'seconds' ? iso.replace(/\.\d{3}Z$/, 'Z') : iso,
        },
      };
    }
    if (req.method === 'GET' && req.path === '/api/v2/UserProfile') {
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const token = bearer ? tokens.get(bearer) : undefined;
      if (!token || token.expiresAt <= now() || !keyUsable(keys.get(token.keyId)))
        return fail(401, 'Unauthorized');
      return { status: 200, body: { data: [{ username: keys.get(token.keyId)?.serviceUser }] } };
    }
    return fail(404, 'Not Found');
  });
  // The host name the downloaded key files name as their account.
  const account = new URL(server.url).hostname;

  return {
    ...server,
    account,
    state: { serviceUsers, keys, tokens },
    /** Whether a bearer token works at a consumer endpoint now. */
    tokenWorks: (token: string) => {
      const found = tokens.get(token);
      return found !== undefined && found.expiresAt > now() && keyUsable(keys.get(found.keyId)) === true;
    },
    /** The console, as an operator uses it. */
    console: {
      createServiceUser(name: string): void {
        if (!serviceUsers.has(name)) serviceUsers.set(name, { relegated: false });
      },
      /** "+ Add New" then download: the key file, shown once. */
      createApiKey(serviceUser: string, name: string): string {
        if (!serviceUsers.has(serviceUser)) throw new Error(`no service user ${serviceUser}`);
        const held = [...keys.values()].filter((k) => k.serviceUser === serviceUser).length;
        if (held >= MAX_KEYS_PER_USER) throw new Error(`limit of ${MAX_KEYS_PER_USER} API keys reached`);
        const key = {
          keyId: `SIMACCOUNT_${randomText(40, '0123456789ABCDEF')}`,
          secret: `_${randomText(32, '0123456789abcdef')}`,
          serviceUser,
          name,
        };
        keys.set(key.keyId, key);
        return JSON.stringify(
          { keyId: key.keyId, secret: key.secret, subAccount: 'simaccount', account },
          null,
          2,
        );
      },
      deleteApiKey(keyId: string): boolean {
        for (const [token, t] of tokens) if (t.keyId === keyId) tokens.delete(token);
        return keys.delete(keyId);
      },
      /** The user loses the admin role: its keys (and their tokens) stop working. */
      relegate(serviceUser: string): void {
        const user = serviceUsers.get(serviceUser);
        if (user) user.relegated = true;
      },
      keyCount: (serviceUser: string) =>
        [...keys.values()].filter((k) => k.serviceUser === serviceUser).length,
    },
  };
}

export type FortiCnappSimulator = Awaited<ReturnType<typeof startFortiCnappSimulator>>;
